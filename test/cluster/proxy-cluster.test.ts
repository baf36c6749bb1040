/**
 * kite proxy fed by the API server, end to end: Services and EndpointSlices written to the in-test API server
 * → ApiObjectSource → the real proxy server (iptables in a private network namespace) → traffic from a client
 * namespace reaches the pod namespaces. Survives an API server restart with changes made while it was down.
 * Needs root and the namespace tools (skips with the reason otherwise).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiObjectSource } from "../../adapters/apiserver/proxy-source.ts";
import { silentLogger } from "../../adapters/log/logger.ts";
import { parseProxyOptions } from "../../adapters/proxy/proxy-options.ts";
import { type ProxyServer, startProxyServer } from "../../adapters/proxy/proxy-server.ts";
import { kubeClientFor } from "../apiserver/client.ts";
import { type FakeApiServer, startFakeApiServer } from "../apiserver/fake-apiserver.ts";
import { createTopology, netnsUnavailable, nodeIP, type Topology } from "../proxy/netns.ts";

const unavailable = netnsUnavailable(["iptables-restore"]);
if (unavailable) console.info(`test/cluster/proxy-cluster.test.ts skipped: ${unavailable}`);

const distinct = (xs: string[]) => [...new Set(xs)].sort();

describe.skipIf(!!unavailable)("kite proxy with the API-server source (iptables, netns)", () => {
  let topo: Topology;
  let api: FakeApiServer;
  let proxy: ProxyServer;

  const slice = (ips: string[]) => ({
    metadata: { name: "web-1", namespace: "test", labels: { "kubernetes.io/service-name": "web" } },
    addressType: "IPv4",
    ports: [{ name: "http", port: 8080, protocol: "TCP" }],
    endpoints: ips.map((ip) => ({ addresses: [ip], nodeName: "node-a", conditions: { ready: true } })),
  });

  beforeAll(async () => {
    topo = await createTopology("apiproxy", 2);
    await topo.startEcho([8080], []);
    api = await startFakeApiServer();
    api.seed("nodes", {
      metadata: { name: "node-a" },
      status: { addresses: [{ type: "InternalIP", address: nodeIP }] },
    });
    api.seed("services", {
      metadata: { name: "web", namespace: "test" },
      spec: {
        type: "NodePort",
        clusterIP: "10.96.0.10",
        clusterIPs: ["10.96.0.10"],
        ports: [{ name: "http", port: 80, targetPort: 8080, protocol: "TCP", nodePort: 30080 }],
      },
    });
    api.seed("endpointslices", slice(topo.pods.map((p) => p.ip)), "discovery.k8s.io");
    const { options } = parseProxyOptions(
      [
        "--proxy-mode",
        "iptables",
        "--hostname-override",
        "node-a",
        "--cluster-cidr",
        "10.244.0.0/16",
        "--netns",
        topo.node,
        "--min-sync-period",
        "0s",
        "--sync-period",
        "30s",
        "--healthz-bind-address",
        "127.0.0.1:0",
        "--metrics-bind-address",
        "127.0.0.1:0",
      ],
      "node-a",
    );
    const source = new ApiObjectSource({
      client: kubeClientFor(api, {}, 1000),
      nodeName: "node-a",
      sleep: async () => void (await new Promise((r) => setTimeout(r, 20))),
    });
    proxy = await startProxyServer({ options, source, logger: silentLogger });
    await proxy.settle();
  });

  afterAll(async () => {
    await proxy?.stop();
    await api?.stop();
    await topo?.destroy();
  });

  it("routes a ClusterIP and a NodePort to the endpoints the API server lists", async () => {
    expect(distinct(await topo.request({ proto: "tcp", host: "10.96.0.10", port: 80, count: 30 }))).toEqual([
      "pod-a",
      "pod-b",
    ]);
    expect(distinct(await topo.request({ proto: "tcp", host: nodeIP, port: 30080, count: 30 }))).toEqual([
      "pod-a",
      "pod-b",
    ]);
  });

  it("follows EndpointSlice changes from the watch", async () => {
    const first = topo.pods[0]?.ip ?? "";
    api.seed("endpointslices", slice([first]), "discovery.k8s.io");
    await waitFor(
      async () =>
        distinct(await topo.request({ proto: "tcp", host: "10.96.0.10", port: 80, count: 20 })).join() ===
        "pod-a",
    );
  });

  it("catches up after an API server restart with changes made while it was down", async () => {
    await api.stop();
    api.seed("endpointslices", slice(topo.pods.map((p) => p.ip)), "discovery.k8s.io");
    api.compact();
    await api.start();
    await waitFor(
      async () =>
        distinct(await topo.request({ proto: "tcp", host: "10.96.0.10", port: 80, count: 30 })).join() ===
        "pod-a,pod-b",
    );
  });

  async function waitFor(check: () => Promise<boolean>): Promise<void> {
    for (let i = 0; i < 100; i++) {
      await proxy.settle();
      if (await check()) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error("proxy did not converge");
  }
});
