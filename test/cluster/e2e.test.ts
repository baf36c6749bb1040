/**
 * The cluster tests that make sense against a real API server, run when KITE_E2E_KUBECONFIG points at a
 * kubeconfig (cluster-admin or equivalent). They register a throw-away Node named kite-e2e-<pid>, which no
 * kubelet backs, and remove everything they create. Without the variable the suite is skipped.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiPodSource } from "../../adapters/apiserver/api-pod-source.ts";
import { chooseEndpointsApi, discoverServer } from "../../adapters/apiserver/discovery.ts";
import { ExtenderClusterCache } from "../../adapters/apiserver/extender-cache.ts";
import { KubeClient, loadKubeConfig } from "../../adapters/apiserver/kube-client.ts";
import { NodeLease } from "../../adapters/apiserver/node-lease.ts";
import { registerWithApiServer } from "../../adapters/apiserver/node-registration.ts";
import { NodeStatusReporter } from "../../adapters/apiserver/node-status.ts";
import { createPodBinder } from "../../adapters/apiserver/pod-binder.ts";
import { PodStatusWriter, refOf } from "../../adapters/apiserver/pod-status-writer.ts";
import { ApiObjectSource } from "../../adapters/apiserver/proxy-source.ts";
import type { SourceUpdate } from "../../adapters/node/pod-source.ts";
import type { SourceEvent } from "../../adapters/proxy/sources/source.ts";
import type { Node, Pod } from "../../core/api/mod.ts";
import { until } from "../apiserver/client.ts";
import { nodeConfig } from "./node-config.ts";

const kubeconfig = process.env.KITE_E2E_KUBECONFIG;
if (!kubeconfig)
  console.info(
    "test/cluster/e2e.test.ts: skipped (set KITE_E2E_KUBECONFIG=<kubeconfig> to run against a real cluster)",
  );

describe.skipIf(!kubeconfig)("against a real cluster (KITE_E2E_KUBECONFIG)", () => {
  const nodeName = `kite-e2e-${process.pid}`;
  const ns = "default";
  let client: KubeClient;
  const config = {
    ...nodeConfig,
    nodeName,
    addresses: [{ type: "InternalIP" as const, address: "192.0.2.10" }],
    taints: [{ key: "kite-e2e", effect: "NoSchedule" as const }],
  };
  const podPath = (name: string) => `/api/v1/namespaces/${ns}/pods/${name}`;

  beforeAll(() => {
    client = new KubeClient(loadKubeConfig({ kubeconfig: kubeconfig ?? "" }), { timeoutMs: 15_000 });
  });
  afterAll(async () => {
    if (!client) return;
    for (const p of ["kite-e2e-bound", "kite-e2e-unbound"])
      await client.delete(podPath(`${p}-${process.pid}`), { gracePeriodSeconds: 0 }).catch(() => {});
    await client
      .delete(`/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${nodeName}`)
      .catch(() => {});
    await client.delete(`/api/v1/nodes/${nodeName}`).catch(() => {});
  });

  it("discovers the server version and the endpoints API", async () => {
    const apis = await discoverServer(client);
    expect(apis.version.major).toBe(1);
    expect(apis.version.minor).toBeGreaterThanOrEqual(20);
    expect(["discovery.k8s.io/v1", "discovery.k8s.io/v1beta1", "v1"]).toContain(chooseEndpointsApi(apis));
  });

  it("registers a Node, renews its Lease and reports status", async () => {
    const node = await registerWithApiServer({ client, config });
    const lease = new NodeLease({ client, nodeName, nodeUid: node.metadata.uid ?? "" });
    await lease.renew();
    await lease.renew();
    const reporter = new NodeStatusReporter({
      client,
      config,
      health: () => ({ ready: true, memoryPressure: false, diskPressure: false, pidPressure: false }),
      pressureTaints: false,
    });
    await reporter.sync();
    const stored = await client.get<Node>(`/api/v1/nodes/${nodeName}`);
    expect(stored.metadata.labels?.["kubernetes.io/hostname"]).toBe(nodeName);
    expect(stored.status?.capacity?.cpu).toBe("4");
    expect(stored.status?.nodeInfo?.kubeletVersion).toBe(nodeConfig.nodeInfo.kubeletVersion);
    const l = await client.get<{ spec?: { holderIdentity?: string; leaseDurationSeconds?: number } }>(
      `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${nodeName}`,
    );
    expect(l.spec).toMatchObject({ holderIdentity: nodeName, leaseDurationSeconds: 40 });
  });

  it("binds a pod with pods/binding, sees it through the node's pod watch, writes its status, deletes it", async () => {
    const name = `kite-e2e-unbound-${process.pid}`;
    await client.create(`/api/v1/namespaces/${ns}/pods`, {
      metadata: { name },
      spec: {
        schedulerName: "kite-e2e-no-such-scheduler",
        tolerations: [{ operator: "Exists" }],
        containers: [{ name: "c", image: "registry.k8s.io/pause:3.9" }],
      },
    });
    const source = new ApiPodSource({ client, nodeName });
    const updates: SourceUpdate[] = [];
    await source.start((u) => updates.push(u));
    const created = await client.get<Pod>(podPath(name));
    await createPodBinder(client).bind(ns, name, created.metadata.uid ?? "", nodeName);
    await until(
      () => updates.at(-1)?.pods.some((p) => p.metadata.name === name) === true,
      "pod seen by node",
      2000,
    );
    const writer = new PodStatusWriter(client);
    await writer.write(refOf(created), {
      phase: "Running",
      podIP: "192.0.2.99",
      podIPs: [{ ip: "192.0.2.99" }],
      conditions: [{ type: "Ready", status: "True" }],
    });
    expect((await client.get<Pod>(podPath(name))).status?.phase).toBe("Running");
    await client.delete(podPath(name), { gracePeriodSeconds: 30 });
    await until(() => source.terminatingPods().some((p) => p.metadata.name === name), "terminating", 20_000);
    await writer.deleteTerminated(refOf(created));
    await until(() => source.terminatingPods().length === 0, "deleted", 20_000);
    source.stop();
  });

  it("feeds the proxy source and the extender cache", async () => {
    const proxy = new ApiObjectSource({ client, nodeName });
    const events: SourceEvent[] = [];
    await proxy.start({ events: (e) => events.push(...e) });
    expect(events.some((e) => e.kind === "Service" && e.object.metadata.name === "kubernetes")).toBe(true);
    expect(events.some((e) => e.kind === "Node" && e.object.metadata.name === nodeName)).toBe(true);
    await proxy.stop();
    const cache = new ExtenderClusterCache({ client });
    await cache.start();
    expect(cache.node(nodeName)).toBeDefined();
    await cache.stop();
  });
});
