/** ClusterNode: the pieces wired as the node daemon uses them (PodSource + StatusSink + lease/status loops). */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ClusterNode } from "../../adapters/apiserver/cluster-node.ts";
import { evictedStatus } from "../../adapters/apiserver/pod-status-writer.ts";
import type { SourceUpdate } from "../../adapters/node/pod-source.ts";
import type { Node, Pod } from "../../core/api/mod.ts";
import { kubeClientFor, until } from "../apiserver/client.ts";
import { type FakeApiServer, startFakeApiServer } from "../apiserver/fake-apiserver.ts";
import { nodeConfig } from "./node-config.ts";

const healthy = { ready: true, memoryPressure: false, diskPressure: false, pidPressure: false };

describe("ClusterNode", () => {
  let server: FakeApiServer;
  let node: ClusterNode | undefined;
  beforeEach(async () => {
    server = await startFakeApiServer();
  });
  afterEach(async () => {
    await node?.stop();
    await server.stop();
  });

  it("registers, heartbeats, reports status, runs API pods, mirrors static pods and finishes deletions", async () => {
    node = new ClusterNode({
      client: kubeClientFor(server, {}, 500),
      config: nodeConfig,
      health: () => healthy,
    });
    await node.start();
    await until(
      () => server.get("leases", "kite-n1", "kube-node-lease", "coordination.k8s.io") !== undefined,
      "lease",
    );
    await until(
      () =>
        (
          server.get("nodes", "kite-n1")?.status as { conditions?: { type: string; status: string }[] }
        )?.conditions?.some((c) => c.type === "Ready" && c.status === "True") === true,
      "Ready",
    );

    server.seed("pods", {
      metadata: { name: "web", namespace: "default" },
      spec: { nodeName: "kite-n1", containers: [{ name: "c", image: "i" }] },
    });
    const updates: SourceUpdate[] = [];
    await node.podSource.start((u) => updates.push(u));
    const web = updates.at(-1)?.pods[0] as Pod;
    expect(web.metadata.name).toBe("web");
    node.statusSink.podStatusChanged({ ...web, status: { phase: "Running", podIP: "10.88.0.9" } });
    await until(
      () => (server.get("pods", "web", "default")?.status as { phase?: string })?.phase === "Running",
      "status written",
    );

    // A static pod: its mirror is created, and its status goes to the mirror.
    const staticPod: Pod = {
      metadata: {
        name: "st-kite-n1",
        namespace: "default",
        uid: "file-uid",
        annotations: { "kubernetes.io/config.source": "file", "kubernetes.io/config.hash": "h1" },
      },
      spec: { nodeName: "kite-n1", containers: [{ name: "c", image: "i" }] },
      status: { phase: "Pending" },
    };
    node.statusSink.podStatusChanged(staticPod);
    node.statusSink.podStatusChanged({ ...staticPod, status: { phase: "Running" } });
    await until(() => node?.podSource.mirrorPods().length === 1, "mirror pod");
    // The status reported before the mirror existed reaches the mirror once it appears.
    await until(
      () => (server.get("pods", "st-kite-n1", "default")?.status as { phase?: string })?.phase === "Running",
      "mirror status",
    );
    expect(
      server.get("pods", "st-kite-n1", "default")?.metadata?.annotations?.["kubernetes.io/config.mirror"],
    ).toBe("h1");
    // Someone deletes the mirror pod: it comes back.
    server.remove("pods", "st-kite-n1", "default");
    await until(() => server.get("pods", "st-kite-n1", "default") !== undefined, "mirror recreated");

    // kubectl delete pod web: it leaves the snapshot, the node stops it, kite deletes it with grace 0.
    await kubeClientFor(server).delete("/api/v1/namespaces/default/pods/web", { gracePeriodSeconds: 30 });
    await until(
      () => !updates.at(-1)?.pods.some((p) => p.metadata.name === "web"),
      "web leaves the snapshot",
    );
    expect(server.get("pods", "web", "default")?.metadata?.deletionTimestamp).toBeTruthy();
    node.statusSink.podRemoved(web);
    await until(() => server.get("pods", "web", "default") === undefined, "web deleted");

    // Static pod removed from the manifest folder: mirror deleted.
    node.statusSink.podRemoved(staticPod);
    await until(() => server.get("pods", "st-kite-n1", "default") === undefined, "mirror removed");
  });

  it("keeps status writes while the API server is down and delivers the newest once it is back", async () => {
    node = new ClusterNode({
      client: kubeClientFor(server, {}, 300),
      config: nodeConfig,
      health: () => healthy,
    });
    await node.start();
    const p = server.seed("pods", {
      metadata: { name: "db", namespace: "default" },
      spec: { nodeName: "kite-n1", containers: [{ name: "c", image: "i" }] },
    }) as unknown as Pod;
    await server.stop();
    node.statusSink.podStatusChanged({ ...p, status: { phase: "Pending" } });
    node.statusSink.podStatusChanged({ ...p, status: { phase: "Running", podIP: "10.88.0.7" } });
    await until(
      () => (node?.writeFailures ?? 0) >= 1 && node?.pendingWrites === 1,
      "write failed and queued",
    );
    await server.start();
    await until(
      () => (server.get("pods", "db", "default")?.status as { phase?: string })?.phase === "Running",
      "status after restart",
    );
    expect(
      server.requests.filter((r) => r.method === "PATCH" && r.path.endsWith("/pods/db/status")),
    ).toHaveLength(1);
  });

  it("takes health and images from the node daemon once it is up (conditions, pressure taints, 50 largest images)", async () => {
    node = new ClusterNode({
      client: kubeClientFor(server),
      config: nodeConfig,
      health: () => healthy,
      statusIntervalMs: 20,
    });
    await node.start();
    node.setImages(() =>
      Array.from({ length: 60 }, (_, i) => ({ names: [`img-${i}`], sizeBytes: i * 1000 })),
    );
    node.setHealth(() => ({ ...healthy, memoryPressure: true }));
    const stored = () => server.get("nodes", "kite-n1") as unknown as Node | undefined;
    await until(
      () => stored()?.spec?.taints?.some((t) => t.key === "node.kubernetes.io/memory-pressure") === true,
      "pressure taint",
    );
    await until(() => stored()?.status?.images?.length === 50, "images");
    expect(stored()?.status?.images?.[0]).toEqual({ names: ["img-59"], sizeBytes: 59000 });
    expect(stored()?.status?.conditions?.find((c) => c.type === "MemoryPressure")?.status).toBe("True");
  });

  it("housekeeping finishes deletions of pods the runtime no longer has (e.g. stopped while kite was down)", async () => {
    node = new ClusterNode({
      client: kubeClientFor(server),
      config: nodeConfig,
      health: () => healthy,
      housekeepingIntervalMs: 20,
    });
    server.seed("pods", {
      metadata: { name: "gone", namespace: "default" },
      spec: { nodeName: "kite-n1", containers: [{ name: "c", image: "i" }] },
    });
    server.seed("pods", {
      metadata: { name: "stopping", namespace: "default" },
      spec: { nodeName: "kite-n1", containers: [{ name: "c", image: "i" }] },
    });
    const client = kubeClientFor(server);
    await client.delete("/api/v1/namespaces/default/pods/gone", { gracePeriodSeconds: 30 });
    await client.delete("/api/v1/namespaces/default/pods/stopping", { gracePeriodSeconds: 30 });
    const stillRunning = server.get("pods", "stopping", "default")?.metadata?.uid;
    node.setRuntimeView((uid) => uid === stillRunning);
    await node.start();
    await node.podSource.start(() => {});
    await until(() => server.get("pods", "gone", "default") === undefined, "gone deleted");
    expect(server.get("pods", "stopping", "default")?.metadata?.deletionTimestamp).toBeTruthy();
    node.setRuntimeView(() => false);
    await until(
      () => server.get("pods", "stopping", "default") === undefined,
      "stopping deleted once the runtime let go",
    );
  });

  it("writes the Evicted status and a Warning event", async () => {
    node = new ClusterNode({ client: kubeClientFor(server), config: nodeConfig, health: () => healthy });
    const p = server.seed("pods", {
      metadata: { name: "hog", namespace: "default" },
      spec: { nodeName: "kite-n1", containers: [{ name: "c", image: "i" }] },
    }) as unknown as Pod;
    await node.evict(p, "The node was low on resource: memory.");
    expect(server.get("pods", "hog", "default")?.status).toMatchObject({
      phase: "Failed",
      reason: "Evicted",
    });
    const ev = server.list("events")[0];
    expect(ev).toMatchObject({
      reason: "Evicted",
      type: "Warning",
      source: { component: "kubelet", host: "kite-n1" },
      involvedObject: { name: "hog", kind: "Pod" },
    });
  });

  it("the node agent's eviction through the status sink: Evicted status via pods/status, Warning event", async () => {
    node = new ClusterNode({ client: kubeClientFor(server), config: nodeConfig, health: () => healthy });
    const p = server.seed("pods", {
      metadata: { name: "hog2", namespace: "default" },
      spec: { nodeName: "kite-n1", containers: [{ name: "c", image: "i" }] },
    }) as unknown as Pod;
    const message = "The node was low on resource: memory. ";
    const status = evictedStatus(p, message, new Date());
    const evicted: Pod = {
      ...p,
      metadata: { ...p.metadata, annotations: { "kubernetes.io/config.source": "api" } },
      status,
    };
    node.statusSink.podStatusChanged(evicted);
    node.statusSink.podEvicted?.(evicted, message);
    await until(
      () => (server.get("pods", "hog2", "default")?.status as { reason?: string })?.reason === "Evicted",
      "Evicted status",
    );
    expect(server.get("pods", "hog2", "default")?.status).toMatchObject({ phase: "Failed", message });
    await until(
      () => server.list("events").some((e) => (e as { reason?: string }).reason === "Evicted"),
      "event",
    );
  });
});
