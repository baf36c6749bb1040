/**
 * kite node as a cluster member, end to end: the in-test API server binds a pod to the node, the real node
 * daemon (kubelet loops + private containerd) runs it, kite writes its status back through pods/status,
 * `kubectl delete` stops it and kite deletes it with grace 0. Static pods get mirror pods. Needs root,
 * containerd and the other node prerequisites (skips with the reason otherwise).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PreparedClusterNode, prepareClusterNode } from "../../adapters/apiserver/node-cluster-mode.ts";
import { evictedStatus } from "../../adapters/apiserver/pod-status-writer.ts";
import { createLogger } from "../../adapters/log/logger.ts";
import { startNodeDaemon } from "../../adapters/node/daemon.ts";
import { localImages } from "../../adapters/node/local-images.ts";
import { resolveNodeConfig } from "../../adapters/node/node-config.ts";
import type { Node, Pod } from "../../core/api/mod.ts";
import { kubeClientFor } from "../apiserver/client.ts";
import { type FakeApiServer, startFakeApiServer } from "../apiserver/fake-apiserver.ts";
import { kubeConfigYaml } from "../apiserver/kubeconfig.ts";
import { type NodeEnv, skipReason, startNodeEnv } from "../node/node-env.ts";

const reason = skipReason();
if (reason) console.info(`test/cluster/node-cluster.integration.test.ts skipped: ${reason}`);

async function waitFor<T>(what: string, fn: () => T | undefined | false, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = fn();
    if (v !== undefined && v !== false) return v as T;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe.skipIf(!!reason)("kite node in a cluster (private containerd)", () => {
  let env: NodeEnv;
  let api: FakeApiServer;
  let cluster: PreparedClusterNode;
  let daemon: Awaited<ReturnType<typeof startNodeDaemon>>;
  const nodeName = "kite-it";

  beforeAll(async () => {
    env = await startNodeEnv();
    api = await startFakeApiServer();
    const kubeconfig = join(env.dir, "kubelet.conf");
    writeFileSync(kubeconfig, kubeConfigYaml({ server: api.url }));
    writeFileSync(
      join(env.manifests, "static.yaml"),
      `apiVersion: v1\nkind: Pod\nmetadata: { name: static, namespace: default }\nspec:\n  containers:\n    - { name: app, image: ${localImages.busybox}, command: ["sleep", "3600"] }\n`,
    );
    const log = createLogger({ write: process.env.KITE_TEST_LOG ? undefined : () => {} } as never);
    const config = resolveNodeConfig(
      {
        "hostname-override": nodeName,
        "pod-manifest-path": env.manifests,
        "container-runtime-endpoint": env.ctd.endpoint,
        "root-dir": join(env.dir, "kubelet"),
        "pod-logs-dir": join(env.dir, "logs"),
        "cgroup-root": env.cgroupRoot,
        "file-check-frequency": "1s",
        port: "0",
        "healthz-port": "0",
      },
      () => {},
    );
    cluster = await prepareClusterNode(config, { kubeconfig }, log);
    daemon = await startNodeDaemon(config, log, cluster.daemonExtras);
    cluster.node.setRuntimeView((uid) => daemon.kubelet.runtimePods().some((p) => p.uid === uid));
    cluster.node.setHealth(() => daemon.nodeHealth.health());
    cluster.node.setImages(() => daemon.nodeHealth.images());
    await cluster.start();
  }, 180_000);

  afterAll(async () => {
    await cluster?.stop();
    await daemon?.stop();
    await api?.stop();
    await env?.destroy();
  }, 120_000);

  it("registers a Ready node with a lease", async () => {
    const node = await waitFor("Ready node", () => {
      const n = api.get("nodes", nodeName) as unknown as Node | undefined;
      return n?.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ? n : undefined;
    });
    expect(node.metadata.labels?.["kubernetes.io/hostname"]).toBe(nodeName);
    expect(api.get("leases", nodeName, "kube-node-lease", "coordination.k8s.io")).toBeDefined();
  });

  it("runs a pod bound to it and reports Running with a pod IP through pods/status", async () => {
    api.seed("pods", {
      metadata: { name: "web", namespace: "default" },
      spec: {
        nodeName,
        terminationGracePeriodSeconds: 2,
        containers: [{ name: "app", image: localImages.busybox, command: ["sleep", "3600"] }],
      },
    });
    const pod = await waitFor(
      "web Running",
      () => {
        const p = api.get("pods", "web", "default") as unknown as Pod | undefined;
        return p?.status?.phase === "Running" && p.status.podIP ? p : undefined;
      },
      90_000,
    );
    expect(pod.status?.containerStatuses?.[0]).toMatchObject({ name: "app", ready: true });
    expect(pod.status?.conditions?.find((c) => c.type === "Ready")?.status).toBe("True");
    expect(
      api.requests.some(
        (r) => r.method === "PATCH" && r.path === "/api/v1/namespaces/default/pods/web/status",
      ),
    ).toBe(true);
  }, 120_000);

  it("fills a configMap volume from the API server before the pod starts", async () => {
    api.seed("configmaps", {
      metadata: { name: "greeting", namespace: "default" },
      data: { "hello.txt": "hello from a configmap" },
    });
    api.seed("pods", {
      metadata: { name: "cfg", namespace: "default" },
      spec: {
        nodeName,
        terminationGracePeriodSeconds: 1,
        containers: [
          {
            name: "app",
            image: localImages.busybox,
            command: ["sh", "-c", "cat /etc/greeting/hello.txt; echo; sleep 3600"],
            volumeMounts: [{ name: "greeting", mountPath: "/etc/greeting" }],
          },
        ],
        volumes: [{ name: "greeting", configMap: { name: "greeting" } }],
      },
    });
    const pod = await waitFor(
      "cfg Running",
      () => {
        const p = api.get("pods", "cfg", "default") as unknown as Pod | undefined;
        return p?.status?.phase === "Running" ? p : undefined;
      },
      90_000,
    );
    const logFile = join(env.dir, "logs", `default_cfg_${pod.metadata.uid}`, "app", "0.log");
    await waitFor("the configmap text in the container log", () => {
      try {
        return readFileSync(logFile, "utf8").includes("hello from a configmap");
      } catch {
        return false;
      }
    });
  }, 120_000);

  it("mirrors its static pod into the API server with the static pod's status", async () => {
    const mirror = await waitFor(
      "mirror pod running",
      () => {
        const p = api.get("pods", `static-${nodeName}`, "default") as unknown as Pod | undefined;
        return p?.status?.phase === "Running" ? p : undefined;
      },
      90_000,
    );
    expect(mirror.metadata.annotations?.["kubernetes.io/config.mirror"]).toBeTruthy();
    expect(mirror.metadata.ownerReferences?.[0]).toMatchObject({ kind: "Node", name: nodeName });
  }, 120_000);

  it("eviction: the pod is stopped, stays stopped and carries the Evicted status in the API server", async () => {
    api.seed("pods", {
      metadata: { name: "hog", namespace: "default" },
      spec: {
        nodeName,
        terminationGracePeriodSeconds: 1,
        containers: [{ name: "app", image: localImages.busybox, command: ["sleep", "3600"] }],
      },
    });
    const running = await waitFor(
      "hog Running on the node",
      () => daemon.kubelet.pods().find((p) => p.metadata.name === "hog" && p.status?.phase === "Running"),
      90_000,
    );
    const message = "The node was low on resource: memory. Threshold quantity: 100Mi, available: 50Mi. ";
    expect(
      await daemon.kubelet.evictPod(running, 0, evictedStatus(running, message, new Date()), message),
    ).toBe(true);
    const pod = await waitFor(
      "hog Failed/Evicted in the API server",
      () => {
        const p = api.get("pods", "hog", "default") as unknown as Pod | undefined;
        return p?.status?.phase === "Failed" ? p : undefined;
      },
      60_000,
    );
    expect(pod.status).toMatchObject({ phase: "Failed", reason: "Evicted", message });
    expect(pod.status?.conditions?.find((c) => c.type === "DisruptionTarget")?.status).toBe("True");
    await waitFor("the Evicted event", () =>
      api.list("events").some((e) => (e as { reason?: string }).reason === "Evicted"),
    );
    await waitFor("hog's containers stopped", () => {
      daemon.kubelet.requestRelist();
      const rt = daemon.kubelet.runtimePods().find((p) => p.uid === running.metadata.uid);
      return !rt?.containers.some((c) => c.state === 1);
    });
    expect(daemon.kubelet.pods().find((p) => p.metadata.name === "hog")?.status?.phase).toBe("Failed");
  }, 120_000);

  it("kubectl delete --grace-period overrides the pod's terminationGracePeriodSeconds", async () => {
    api.seed("pods", {
      metadata: { name: "slow", namespace: "default" },
      spec: {
        nodeName,
        // sleep as PID 1 ignores SIGTERM, so stopping takes the whole grace period.
        terminationGracePeriodSeconds: 300,
        containers: [{ name: "app", image: localImages.busybox, command: ["sleep", "3600"] }],
      },
    });
    await waitFor(
      "slow Running",
      () => (api.get("pods", "slow", "default") as unknown as Pod | undefined)?.status?.phase === "Running",
      90_000,
    );
    await kubeClientFor(api).delete("/api/v1/namespaces/default/pods/slow", { gracePeriodSeconds: 1 });
    // With the pod's own 300 s this would not finish within the wait below.
    await waitFor("slow stopped and deleted", () => api.get("pods", "slow", "default") === undefined, 60_000);
  }, 120_000);

  it("kubectl delete: the node stops the pod and kite deletes it with grace 0", async () => {
    await kubeClientFor(api).delete("/api/v1/namespaces/default/pods/web", { gracePeriodSeconds: 2 });
    await waitFor(
      "web gone from the API server",
      () => api.get("pods", "web", "default") === undefined,
      90_000,
    );
    const del = api.requests.filter((r) => r.method === "DELETE" && r.path.endsWith("/pods/web")).at(-1);
    expect(del?.body).toMatchObject({ gracePeriodSeconds: 0 });
    expect(daemon.kubelet.pods().some((p) => p.metadata.name === "web")).toBe(false);
  }, 120_000);
});
