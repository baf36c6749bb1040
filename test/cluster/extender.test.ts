/** kite extender in a cluster: informer-fed node/pod cache (nodeCacheCapable) and binding through pods/binding. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ExtenderClusterCache } from "../../adapters/apiserver/extender-cache.ts";
import { createPodBinder } from "../../adapters/apiserver/pod-binder.ts";
import { createExtenderApp } from "../../adapters/extender/app.ts";
import type { ClusterView } from "../../adapters/extender/cluster-view.ts";
import { decodeExtenderConfig } from "../../adapters/extender/config.ts";
import { MetricsRegistry } from "../../adapters/metrics/registry.ts";
import { kubeClientFor, until } from "../apiserver/client.ts";
import { type FakeApiServer, startFakeApiServer } from "../apiserver/fake-apiserver.ts";

const pod = (name: string, nodeName?: string, phase = "Running") => ({
  metadata: { name, namespace: "default" },
  spec: {
    ...(nodeName ? { nodeName } : {}),
    containers: [{ name: "c", image: "i", resources: { requests: { cpu: "100m" } } }],
  },
  status: { phase },
});

describe("extender cache and binder", () => {
  let server: FakeApiServer;
  let cache: ExtenderClusterCache | undefined;
  beforeEach(async () => {
    server = await startFakeApiServer();
  });
  afterEach(async () => {
    await cache?.stop();
    await server.stop();
  });

  it("keeps nodes and scheduled pods from informers and reports size and staleness", async () => {
    server.seed("nodes", { metadata: { name: "n1" } });
    server.seed("nodes", { metadata: { name: "n2" } });
    server.seed("pods", pod("a", "n1"));
    server.seed("pods", pod("b", "n1"));
    server.seed("pods", pod("done", "n1", "Succeeded"));
    server.seed("pods", pod("unscheduled"));
    let now = 1_000_000;
    const metrics = new MetricsRegistry();
    cache = new ExtenderClusterCache({ client: kubeClientFor(server), metrics, now: () => now });
    await cache.start();
    expect(cache.synced).toBe(true);
    expect(
      cache
        .nodes()
        .map((n) => n.metadata.name)
        .sort(),
    ).toEqual(["n1", "n2"]);
    expect(
      cache
        .podsOnNode("n1")
        .map((p) => p.metadata.name)
        .sort(),
    ).toEqual(["a", "b"]);
    expect(cache.podsOnNode("n2")).toEqual([]);
    expect(metrics.render()).toContain('scheduler_cache_size{type="nodes"} 2');
    expect(metrics.render()).toContain('scheduler_cache_size{type="pods"} 2');
    expect(metrics.render()).toContain("kite_extender_cache_staleness_seconds 0");
    now += 30_000;
    cache.updateMetrics();
    expect(metrics.render()).toContain("kite_extender_cache_staleness_seconds 30");
    // Binding moves a pod into the cache for its node.
    const binder = createPodBinder(kubeClientFor(server));
    const uid = server.get("pods", "unscheduled", "default")?.metadata?.uid ?? "";
    await binder.bind("default", "unscheduled", uid, "n2");
    await until(() => cache?.podsOnNode("n2").length === 1, "bound pod in cache");
    expect(server.get("pods", "unscheduled", "default")?.spec).toMatchObject({ nodeName: "n2" });
    const post = server.requests.find(
      (r) => r.path === "/api/v1/namespaces/default/pods/unscheduled/binding",
    );
    expect(post?.body).toMatchObject({
      kind: "Binding",
      metadata: { name: "unscheduled", uid },
      target: { kind: "Node", name: "n2" },
    });
    // A pod that finishes leaves the cache; a deleted node leaves it too.
    server.seed("pods", { ...server.get("pods", "a", "default"), status: { phase: "Succeeded" } });
    server.remove("nodes", "n2");
    await until(() => cache?.podsOnNode("n1").length === 1 && cache.nodes().length === 1, "cache updated");
  });

  it("refuses to bind an already bound pod or a pod whose uid changed", async () => {
    server.seed("pods", pod("p"));
    const binder = createPodBinder(kubeClientFor(server));
    await expect(binder.bind("default", "p", "wrong-uid", "n1")).rejects.toMatchObject({ status: 409 });
    const uid = server.get("pods", "p", "default")?.metadata?.uid ?? "";
    await binder.bind("default", "p", uid, "n1");
    await expect(binder.bind("default", "p", uid, "n2")).rejects.toMatchObject({ status: 409 });
    await expect(binder.bind("default", "missing", "", "n1")).rejects.toMatchObject({ status: 404 });
  });

  it("plugs into kite extender: nodeCacheCapable filter from the informer cache, bind through pods/binding", async () => {
    server.seed("nodes", {
      metadata: { name: "small" },
      status: { allocatable: { cpu: "1", memory: "1Gi", pods: "110" } },
    });
    server.seed("nodes", {
      metadata: { name: "big" },
      status: { allocatable: { cpu: "8", memory: "16Gi", pods: "110" } },
    });
    server.seed("pods", {
      ...pod("hog", "small"),
      spec: {
        nodeName: "small",
        containers: [{ name: "c", image: "i", resources: { requests: { cpu: "900m" } } }],
      },
    });
    server.seed("pods", pod("new"));
    cache = new ExtenderClusterCache({ client: kubeClientFor(server) });
    await cache.start();
    const view: ClusterView = cache;
    const app = createExtenderApp({
      config: decodeExtenderConfig({ nodeCacheCapable: true }),
      cluster: view,
      binder: createPodBinder(kubeClientFor(server)),
    });
    const newPod = server.get("pods", "new", "default");
    const filter = await app.request("/filter", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        Pod: {
          ...newPod,
          spec: { containers: [{ name: "c", image: "i", resources: { requests: { cpu: "500m" } } }] },
        },
        NodeNames: ["small", "big"],
      }),
    });
    const result = (await filter.json()) as { NodeNames?: string[]; FailedNodes?: Record<string, string> };
    expect(result.NodeNames).toEqual(["big"]);
    expect(Object.keys(result.FailedNodes ?? {})).toEqual(["small"]);
    const gen = cache.generation;
    const bind = await app.request("/bind", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        PodName: "new",
        PodNamespace: "default",
        PodUID: newPod?.metadata?.uid,
        Node: "big",
      }),
    });
    expect(bind.status).toBe(200);
    expect(server.get("pods", "new", "default")?.spec).toMatchObject({ nodeName: "big" });
    await until(
      () => cache !== undefined && cache.generation > gen && cache.podsOnNode("big").length === 1,
      "cache sees the binding",
    );
  });
});
