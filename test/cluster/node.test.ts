/**
 * kite node as a cluster member, against the in-test API server: registration, lease, status and
 * pressure taints, the pods bound to the node, pod status, mirror pods, deletion, volumes, eviction.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ApiError } from "../../adapters/apiserver/api-error.ts";
import { ApiPodSource } from "../../adapters/apiserver/api-pod-source.ts";
import { configHashAnnotation, MirrorPodManager } from "../../adapters/apiserver/mirror-pods.ts";
import { NodeLease } from "../../adapters/apiserver/node-lease.ts";
import type { NodeHealth } from "../../adapters/apiserver/node-object.ts";
import { registerWithApiServer } from "../../adapters/apiserver/node-registration.ts";
import { NodeStatusReporter } from "../../adapters/apiserver/node-status.ts";
import { evictedStatus, PodStatusWriter, refOf } from "../../adapters/apiserver/pod-status-writer.ts";
import { volumeFiles } from "../../adapters/apiserver/volume-source.ts";
import type { SourceUpdate } from "../../adapters/node/pod-source.ts";
import type { Node, Pod, PodStatus } from "../../core/api/mod.ts";
import { kubeClientFor, until } from "../apiserver/client.ts";
import { type FakeApiServer, startFakeApiServer } from "../apiserver/fake-apiserver.ts";
import { nodeConfig } from "./node-config.ts";

class Clock {
  t = Date.parse("2026-11-24T12:00:00Z");
  now = () => new Date(this.t);
  advance(ms: number) {
    this.t += ms;
  }
}

describe("kite node in a cluster", () => {
  let server: FakeApiServer;
  const stops: (() => unknown)[] = [];
  beforeEach(async () => {
    server = await startFakeApiServer();
  });
  afterEach(async () => {
    for (const s of stops.splice(0)) await s();
    await server.stop();
  });

  it("registers its Node with capacity, allocatable, addresses, nodeInfo, labels and taints", async () => {
    const client = kubeClientFor(server);
    const node = await registerWithApiServer({ client, config: nodeConfig });
    expect(node.metadata.uid).toBeTruthy();
    const stored = server.get("nodes", "kite-n1") as unknown as Node;
    expect(stored.metadata.labels).toMatchObject({
      "kubernetes.io/hostname": "kite-n1",
      "kubernetes.io/os": "linux",
      "kubernetes.io/arch": "amd64",
      "node-role.kubernetes.io/worker": "",
    });
    expect(stored.status?.capacity).toEqual(nodeConfig.capacity);
    // 4 − 0.1 − 0.1 cpu; 8Gi − 256Mi − 256Mi − 100Mi; 100Gi − 10Gi.
    expect(stored.status?.allocatable).toEqual({
      cpu: "3800m",
      memory: "7580Mi",
      pods: "110",
      "ephemeral-storage": "90Gi",
    });
    expect(stored.status?.addresses).toEqual(nodeConfig.addresses);
    expect(stored.status?.nodeInfo?.containerRuntimeVersion).toBe("containerd://1.6.20");
    expect(stored.status?.daemonEndpoints).toEqual({ kubeletEndpoint: { Port: 10250 } });
    expect(stored.spec?.taints).toEqual([
      { key: "dedicated", value: "kite", effect: "NoSchedule" },
      { key: "node.kubernetes.io/not-ready", effect: "NoSchedule" },
    ]);
    expect(stored.status?.conditions?.find((c) => c.type === "Ready")?.status).toBe("False");
    // A restart finds the Node there, adopts it and fixes the labels it owns.
    server.seed("nodes", {
      ...stored,
      metadata: { ...stored.metadata, labels: { "kubernetes.io/hostname": "wrong", team: "a" } },
    } as never);
    const again = await registerWithApiServer({ client, config: nodeConfig });
    expect(again.metadata.uid).toBe(node.metadata.uid);
    expect(again.metadata.labels?.["kubernetes.io/hostname"]).toBe("kite-n1");
    expect(again.metadata.labels?.team).toBe("a");
  });

  it("retries registration with back-off while the API server is unavailable", async () => {
    server.injectFault({
      method: "POST",
      path: /\/nodes$/,
      status: 503,
      reason: "ServiceUnavailable",
      count: 3,
    });
    const delays: number[] = [];
    await registerWithApiServer({
      client: kubeClientFor(server),
      config: nodeConfig,
      sleep: async (ms) => void delays.push(ms),
    });
    expect(delays).toEqual([100, 200, 400]);
    expect(server.get("nodes", "kite-n1")).toBeDefined();
  });

  it("renews its Lease in kube-node-lease every 10 s with a 40 s duration, surviving conflicts", async () => {
    const client = kubeClientFor(server);
    const node = await registerWithApiServer({ client, config: nodeConfig });
    const clock = new Clock();
    const lease = new NodeLease({
      client,
      nodeName: "kite-n1",
      nodeUid: node.metadata.uid ?? "",
      now: clock.now,
    });
    expect(lease.renewIntervalMs).toBe(10_000);
    await lease.renew();
    const first = server.get("leases", "kite-n1", "kube-node-lease", "coordination.k8s.io");
    expect(first?.spec).toEqual({
      holderIdentity: "kite-n1",
      leaseDurationSeconds: 40,
      renewTime: "2026-11-24T12:00:00.000000Z",
    });
    expect(first?.metadata?.ownerReferences).toEqual([
      { apiVersion: "v1", kind: "Node", name: "kite-n1", uid: node.metadata.uid },
    ]);
    clock.advance(10_000);
    await lease.renew();
    expect(
      (
        server.get("leases", "kite-n1", "kube-node-lease", "coordination.k8s.io")?.spec as
          | { renewTime?: string }
          | undefined
      )?.renewTime,
    ).toBe("2026-11-24T12:00:10.000000Z");
    // Someone else touched the lease: the cached copy is stale, the update conflicts, kite refetches and renews.
    const other = server.get("leases", "kite-n1", "kube-node-lease", "coordination.k8s.io");
    server.seed(
      "leases",
      { ...other, metadata: { ...other?.metadata, labels: { x: "y" } } },
      "coordination.k8s.io",
    );
    clock.advance(10_000);
    await lease.renew();
    const after = server.get("leases", "kite-n1", "kube-node-lease", "coordination.k8s.io");
    expect((after?.spec as { renewTime?: string } | undefined)?.renewTime).toBe(
      "2026-11-24T12:00:20.000000Z",
    );
    expect(after?.metadata?.labels).toEqual({ x: "y" });
    expect(lease.renewals).toBe(3);
    expect(server.requests.filter((r) => r.method === "PUT" && r.path.includes("/leases/")).length).toBe(3);
  });

  it("keeps the node Ready under the node lifecycle controller while the lease is renewed; Unknown 40 s after it stops", async () => {
    const client = kubeClientFor(server);
    const node = await registerWithApiServer({ client, config: nodeConfig });
    const clock = new Clock();
    const health: NodeHealth = {
      ready: true,
      memoryPressure: false,
      diskPressure: false,
      pidPressure: false,
    };
    const lease = new NodeLease({
      client,
      nodeName: "kite-n1",
      nodeUid: node.metadata.uid ?? "",
      now: clock.now,
    });
    const reporter = new NodeStatusReporter({
      client,
      config: nodeConfig,
      health: () => health,
      now: clock.now,
    });
    const ready = () =>
      (server.get("nodes", "kite-n1") as unknown as Node).status?.conditions?.find((c) => c.type === "Ready")
        ?.status;
    // kite renews every 10 s; the controller checks every 5 s.
    for (let t = 0; t < 60; t += 5) {
      if (t % 10 === 0) {
        await lease.renew();
        await reporter.sync();
      }
      expect(server.checkNodeHealth(clock.now())).toEqual([]);
      clock.advance(5000);
    }
    expect(ready()).toBe("True");
    // kite stops: 40 s of grace, then Unknown and the unreachable taints.
    const marks: string[][] = [];
    for (let t = 0; t <= 45; t += 5) {
      marks.push(server.checkNodeHealth(clock.now()));
      clock.advance(5000);
    }
    expect(marks.flat()).toEqual(["kite-n1"]);
    // Last renewal at 50 s; the checks run at 60, 65, ... s; the first one more than 40 s later is at 95 s.
    expect(marks.findIndex((m) => m.length > 0)).toBe(7);
    expect(ready()).toBe("Unknown");
    const taints = (server.get("nodes", "kite-n1") as unknown as Node).spec?.taints?.map(
      (t) => `${t.key}:${t.effect}`,
    );
    expect(taints).toContain("node.kubernetes.io/unreachable:NoExecute");
    // kite comes back: it renews and posts Ready (a transition, so the patch goes out at once); the taints go.
    await lease.renew();
    await reporter.sync();
    server.checkNodeHealth(clock.now());
    expect(ready()).toBe("True");
    expect(
      (server.get("nodes", "kite-n1") as unknown as Node).spec?.taints?.some(
        (t) => t.key === "node.kubernetes.io/unreachable",
      ),
    ).toBe(false);
  });

  it("patches node status on change and every 5 minutes, and manages pressure taints", async () => {
    const client = kubeClientFor(server);
    await registerWithApiServer({ client, config: nodeConfig });
    const clock = new Clock();
    const health: NodeHealth = {
      ready: true,
      memoryPressure: false,
      diskPressure: false,
      pidPressure: false,
    };
    const reporter = new NodeStatusReporter({
      client,
      config: nodeConfig,
      health: () => health,
      now: clock.now,
    });
    expect(await reporter.sync()).toBe(true);
    const patch = server.requests.find(
      (r) => r.method === "PATCH" && r.path === "/api/v1/nodes/kite-n1/status",
    );
    expect(patch?.contentType).toBe("application/strategic-merge-patch+json");
    let node = server.get("nodes", "kite-n1") as unknown as Node;
    expect(node.status?.conditions?.map((c) => `${c.type}=${c.status}:${c.reason}`)).toEqual([
      "MemoryPressure=False:KubeletHasSufficientMemory",
      "DiskPressure=False:KubeletHasNoDiskPressure",
      "PIDPressure=False:KubeletHasSufficientPID",
      "Ready=True:KubeletReady",
    ]);
    const readySince = node.status?.conditions?.find((c) => c.type === "Ready")?.lastTransitionTime;
    clock.advance(10_000);
    expect(await reporter.sync()).toBe(false); // nothing changed
    clock.advance(5 * 60_000);
    expect(await reporter.sync()).toBe(true); // report interval passed
    node = server.get("nodes", "kite-n1") as unknown as Node;
    const ready = node.status?.conditions?.find((c) => c.type === "Ready");
    expect(ready?.lastTransitionTime).toBe(readySince);
    expect(ready?.lastHeartbeatTime).toBe("2026-11-24T12:05:10Z");
    health.memoryPressure = true;
    clock.advance(10_000);
    expect(await reporter.sync()).toBe(true);
    node = server.get("nodes", "kite-n1") as unknown as Node;
    const mem = node.status?.conditions?.find((c) => c.type === "MemoryPressure");
    expect(mem).toMatchObject({
      status: "True",
      reason: "KubeletHasInsufficientMemory",
      lastTransitionTime: "2026-11-24T12:05:20Z",
    });
    expect(node.spec?.taints?.map((t) => t.key)).toContain("node.kubernetes.io/memory-pressure");
    expect(node.spec?.taints?.map((t) => t.key)).toContain("dedicated");
    health.memoryPressure = false;
    clock.advance(10_000);
    await reporter.sync();
    node = server.get("nodes", "kite-n1") as unknown as Node;
    expect(node.spec?.taints?.map((t) => t.key)).not.toContain("node.kubernetes.io/memory-pressure");
    expect(node.spec?.taints?.map((t) => t.key)).toContain("dedicated");
    expect(reporter.patches).toBe(4);
  });

  const pod = (name: string, nodeName?: string, extra: Record<string, unknown> = {}) => ({
    metadata: { name, namespace: "default", ...extra },
    spec: { ...(nodeName ? { nodeName } : {}), containers: [{ name: "c", image: "busybox" }] },
  });

  it("watches the pods bound to it, keeps them while the API server is down, and catches up", async () => {
    server.seed("pods", pod("mine", "kite-n1"));
    server.seed("pods", pod("theirs", "other"));
    server.seed(
      "pods",
      pod("static-kite-n1", "kite-n1", { annotations: { "kubernetes.io/config.mirror": "abc" } }),
    );
    server.seed("pods", pod("pending"));
    const source = new ApiPodSource({
      client: kubeClientFor(server, {}, 500),
      nodeName: "kite-n1",
      sleep: async () => void (await new Promise((r) => setTimeout(r, 5))),
    });
    stops.push(() => source.stop());
    const updates: SourceUpdate[] = [];
    await source.start((u) => updates.push(u));
    const names = (u: SourceUpdate | undefined) => u?.pods.map((p) => p.metadata.name).sort();
    expect(names(updates.at(-1))).toEqual(["mine"]);
    expect(updates.at(-1)?.source).toBe("api");
    expect(updates.at(-1)?.pods[0]?.metadata.annotations?.["kubernetes.io/config.source"]).toBe("api");
    expect(source.mirrorPods().map((p) => p.metadata.name)).toEqual(["static-kite-n1"]);
    expect(server.requests.find((r) => r.path === "/api/v1/pods")?.query.get("fieldSelector")).toBe(
      "spec.nodeName=kite-n1",
    );
    // The scheduler binds a pod here: it shows up.
    const client = kubeClientFor(server);
    await client.create("/api/v1/namespaces/default/pods/pending/binding", {
      metadata: { name: "pending" },
      target: { name: "kite-n1" },
    });
    await until(() => names(updates.at(-1))?.length === 2, "bound pod");
    expect(names(updates.at(-1))).toEqual(["mine", "pending"]);
    // API server goes away: no update claims the pods are gone.
    const before = updates.length;
    await server.stop();
    await new Promise((r) => setTimeout(r, 50));
    expect(updates.length).toBe(before);
    expect(names(source.pods ? { source: "api", pods: source.pods(), errors: [] } : undefined)).toEqual([
      "mine",
      "pending",
    ]);
    server.remove("pods", "mine", "default");
    server.compact();
    await server.start();
    await until(() => names(updates.at(-1))?.join() === "pending", "catch up after restart");
    const snapshots = updates.slice(before).map((u) => names(u)?.join());
    expect(snapshots).toEqual(["pending"]); // exactly one change delivered, nothing duplicated
  });

  it("writes pod status through the status subresource, with a uid precondition and no repeats", async () => {
    const created = server.seed("pods", pod("web", "kite-n1")) as unknown as Pod;
    const writer = new PodStatusWriter(kubeClientFor(server));
    const status: PodStatus = {
      phase: "Running",
      podIP: "10.88.0.5",
      podIPs: [{ ip: "10.88.0.5" }],
      hostIP: "10.0.0.5",
      startTime: "2026-11-24T12:00:00Z",
      conditions: [
        { type: "PodReadyToStartContainers", status: "True" },
        { type: "Initialized", status: "True" },
        { type: "Ready", status: "True" },
        { type: "ContainersReady", status: "True" },
        { type: "PodScheduled", status: "True" },
      ],
      containerStatuses: [
        {
          name: "c",
          image: "busybox",
          imageID: "sha256:1",
          ready: true,
          restartCount: 0,
          started: true,
          state: { running: { startedAt: "2026-11-24T12:00:01Z" } },
        } as never,
      ],
    };
    expect(await writer.write(refOf(created), status)).toBe(true);
    expect(await writer.write(refOf(created), status)).toBe(false);
    const stored = server.get("pods", "web", "default") as unknown as Pod;
    expect(stored.status).toMatchObject({
      phase: "Running",
      podIP: "10.88.0.5",
      startTime: "2026-11-24T12:00:00Z",
    });
    expect(stored.status?.conditions?.map((c) => c.type)).toEqual([
      "PodReadyToStartContainers",
      "Initialized",
      "Ready",
      "ContainersReady",
      "PodScheduled",
    ]);
    expect(stored.spec.containers[0]?.image).toBe("busybox");
    expect(
      server.requests.filter((r) => r.method === "PATCH" && r.path.endsWith("/pods/web/status")),
    ).toHaveLength(1);
    // A pod recreated under the same name (new uid) is not overwritten by a stale status.
    server.remove("pods", "web", "default");
    server.seed("pods", pod("web", "kite-n1"));
    const err = await writer.write(refOf(created), { ...status, phase: "Succeeded" }).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(409);
    expect((server.get("pods", "web", "default")?.status as PodStatus | undefined)?.phase).toBe("Pending");
  });

  it("deletion: a pod marked for deletion leaves the snapshot; once stopped it is deleted with grace 0", async () => {
    server.seed("pods", pod("doomed", "kite-n1", { uid: "u-1" }));
    const client = kubeClientFor(server);
    const source = new ApiPodSource({ client, nodeName: "kite-n1" });
    stops.push(() => source.stop());
    const updates: SourceUpdate[] = [];
    await source.start((u) => updates.push(u));
    expect(updates.at(-1)?.pods.map((p) => p.metadata.name)).toEqual(["doomed"]);
    await client.delete("/api/v1/namespaces/default/pods/doomed", { gracePeriodSeconds: 30 });
    await until(() => updates.at(-1)?.pods.length === 0, "terminating pod leaves the snapshot");
    const terminating = source.terminatingPods()[0] as Pod;
    expect(terminating.metadata.deletionGracePeriodSeconds).toBe(30);
    // The snapshot carries the deletion's grace period for the node agent (kubectl delete --grace-period).
    expect(updates.at(-1)?.gracePeriods).toEqual({ [terminating.metadata.uid ?? ""]: 30 });
    expect(server.get("pods", "doomed", "default")).toBeDefined();
    // The node agent stops the containers within the grace period, then:
    await new PodStatusWriter(client).deleteTerminated(refOf(terminating));
    expect(server.get("pods", "doomed", "default")).toBeUndefined();
    const del = server.requests.filter((r) => r.method === "DELETE").at(-1);
    expect(del?.body).toMatchObject({
      gracePeriodSeconds: 0,
      preconditions: { uid: terminating.metadata.uid },
    });
    await until(() => source.terminatingPods().length === 0, "pod gone");
  });

  it("creates, replaces and removes mirror pods for static pods", async () => {
    const client = kubeClientFor(server);
    const node = await registerWithApiServer({ client, config: nodeConfig });
    const mgr = new MirrorPodManager(client, { name: "kite-n1", uid: node.metadata.uid ?? "" });
    const staticPod = {
      metadata: {
        name: "etcd-kite-n1",
        namespace: "kube-system",
        uid: "h1",
        annotations: { [configHashAnnotation]: "h1", "kubernetes.io/config.source": "file" },
      },
      spec: { nodeName: "kite-n1", containers: [{ name: "etcd", image: "etcd" }] },
    } as Pod;
    await mgr.sync([staticPod], []);
    const mirror = server.get("pods", "etcd-kite-n1", "kube-system") as unknown as Pod;
    expect(mirror.metadata.annotations?.["kubernetes.io/config.mirror"]).toBe("h1");
    expect(mirror.metadata.ownerReferences?.[0]).toMatchObject({
      kind: "Node",
      name: "kite-n1",
      uid: node.metadata.uid,
      controller: true,
    });
    expect(mirror.metadata.uid).not.toBe("h1");
    // The manifest changed: new hash → the mirror is replaced.
    const changed = {
      ...staticPod,
      metadata: { ...staticPod.metadata, annotations: { [configHashAnnotation]: "h2" } },
    };
    await mgr.sync([changed], [mirror]);
    const mirror2 = server.get("pods", "etcd-kite-n1", "kube-system") as unknown as Pod;
    expect(mirror2.metadata.annotations?.["kubernetes.io/config.mirror"]).toBe("h2");
    expect(mirror2.metadata.uid).not.toBe(mirror.metadata.uid);
    // In sync: nothing is written.
    const writes = server.requests.filter((r) => r.method !== "GET").length;
    await mgr.sync([changed], [mirror2]);
    expect(server.requests.filter((r) => r.method !== "GET").length).toBe(writes);
    // Static pod removed: its mirror goes.
    await mgr.sync([], [mirror2]);
    expect(server.get("pods", "etcd-kite-n1", "kube-system")).toBeUndefined();
    expect(mgr.created).toBe(2);
    expect(mgr.deleted).toBe(2);
  });

  it("fills ConfigMap and Secret volumes from the API server", async () => {
    server.seed("configmaps", {
      metadata: { name: "cfg", namespace: "default" },
      data: { "a.conf": "x=1", b: "2" },
      binaryData: { bin: Buffer.from([0, 1]).toString("base64") },
    });
    server.seed("secrets", {
      metadata: { name: "sec", namespace: "default" },
      data: { token: Buffer.from("s3cret").toString("base64") },
    });
    const client = kubeClientFor(server);
    const all = await volumeFiles(client, "default", { name: "v", configMap: { name: "cfg" } } as never);
    expect(all.map((f) => [f.path, f.data.toString("base64"), f.mode])).toEqual([
      ["a.conf", Buffer.from("x=1").toString("base64"), 0o644],
      ["b", Buffer.from("2").toString("base64"), 0o644],
      ["bin", "AAE=", 0o644],
    ]);
    const items = await volumeFiles(client, "default", {
      name: "v",
      configMap: { name: "cfg", items: [{ key: "b", path: "sub/b.txt", mode: 0o600 }] },
    } as never);
    expect(items.map((f) => [f.path, f.data.toString(), f.mode])).toEqual([["sub/b.txt", "2", 0o600]]);
    const secret = await volumeFiles(client, "default", {
      name: "s",
      secret: { secretName: "sec", defaultMode: 0o400 },
    } as never);
    expect(secret.map((f) => [f.path, f.data.toString(), f.mode])).toEqual([["token", "s3cret", 0o400]]);
    expect(
      await volumeFiles(client, "default", {
        name: "o",
        secret: { secretName: "nope", optional: true },
      } as never),
    ).toEqual([]);
    await expect(
      volumeFiles(client, "default", { name: "o", configMap: { name: "nope" } } as never),
    ).rejects.toMatchObject({ code: "not_found", field: "volumes[o].configMap.name" });
    await expect(
      volumeFiles(client, "default", {
        name: "v",
        configMap: { name: "cfg", items: [{ key: "b", path: "../x" }] },
      } as never),
    ).rejects.toMatchObject({ code: "invalid_argument" });
  });

  it("writes the upstream Evicted status", async () => {
    const created = server.seed("pods", pod("hog", "kite-n1")) as unknown as Pod;
    const clock = new Clock();
    const msg =
      "The node was low on resource: memory. Threshold quantity: 100Mi, available: 50Mi. Container c was using 150Mi, request is 100Mi, has larger consumption of memory.";
    await new PodStatusWriter(kubeClientFor(server)).write(
      refOf(created),
      evictedStatus(created, msg, clock.now()),
    );
    const stored = server.get("pods", "hog", "default") as unknown as Pod;
    expect(stored.status).toMatchObject({ phase: "Failed", reason: "Evicted", message: msg });
    expect(stored.status?.conditions?.find((c) => c.type === "DisruptionTarget")).toMatchObject({
      status: "True",
      reason: "TerminationByKubelet",
      message: msg,
    });
  });
});
