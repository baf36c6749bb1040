/**
 * End to end, in network namespaces made here: the real proxy (folder source → core → applier) programs
 * the node namespace; TCP and UDP clients in the client namespace reach echo servers in pod namespaces.
 */
import { get } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { coreModeUnavailable } from "./core-mode.ts";
import { createTopology, netnsUnavailable, nodeIP, type Topology } from "./netns.ts";
import { nodeObject, type RunningProxy, service, slice, startTestProxy } from "./proxy-harness.ts";

const unavailable = netnsUnavailable();
if (unavailable) console.warn(`skipping proxy e2e tests: ${unavailable}`);
const modes = (["iptables", "nftables"] as const).filter((m) => {
  const why = coreModeUnavailable(m);
  if (why) console.warn(`skipping proxy e2e tests for ${m}: ${why}`);
  return !why;
});

/** GET on a fresh connection; a body shorter than its Content-Length fails (`aborted`) instead of passing. */
function httpGet(url: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        text += c;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      res.on("error", (e) => reject(new Error(`GET ${url}: ${e.message}`)));
    }).on("error", (e) => reject(new Error(`GET ${url}: ${e.message}`)));
  });
}

const TCP = 8080;
const UDP = 5353;

function objects(webEndpoints: string[], dnsEndpoints: string[]) {
  const ep = (pods: string[]) =>
    pods.map((p) => ({
      ip: `10.244.0.${10 + p.charCodeAt(0) - 97}`,
      node: p === "c" || p === "d" ? "node-b" : "node-a",
    }));
  return {
    "node.yaml": [nodeObject(nodeIP)],
    "web.yaml": [
      service("web", "10.96.0.10", [{ name: "http", port: 80, targetPort: TCP, nodePort: 30080 }]),
      slice("web", ep(webEndpoints), [{ name: "http", port: TCP }]),
    ],
    "dns.yaml": [
      service("dns", "10.96.0.53", [
        { name: "dns", port: 53, targetPort: UDP, protocol: "UDP", nodePort: 30053 },
      ]),
      slice("dns", ep(dnsEndpoints), [{ name: "dns", port: UDP, protocol: "UDP" }]),
    ],
    "local.yaml": [
      service("local", "10.96.0.20", [{ name: "http", port: 80, targetPort: TCP, nodePort: 30081 }], {
        externalTrafficPolicy: "Local",
      }),
      slice("local", ep(["a", "c", "d"]), [{ name: "http", port: TCP }]),
    ],
    "sticky.yaml": [
      service("sticky", "10.96.0.30", [{ name: "http", port: 80, targetPort: TCP }], {
        sessionAffinity: "ClientIP",
        sessionAffinityConfig: { clientIP: { timeoutSeconds: 600 } },
      }),
      slice("sticky", ep(["a", "b", "c"]), [{ name: "http", port: TCP }]),
    ],
    "empty.yaml": [
      service("empty", "10.96.0.99", [{ name: "http", port: 80, targetPort: TCP, nodePort: 30099 }]),
    ],
  };
}

const distinct = (xs: string[]) => [...new Set(xs)].sort();

for (const mode of modes) {
  describe.skipIf(!!unavailable)(`proxy e2e (${mode})`, () => {
    let topo: Topology;
    let proxy: RunningProxy;

    beforeAll(async () => {
      topo = await createTopology(mode === "iptables" ? "e2e-ipt" : "e2e-nft", 4);
      await topo.startEcho([TCP], [UDP]);
      proxy = await startTestProxy({
        mode,
        netns: topo.node,
        files: objects(["a", "b", "c"], ["a", "b", "c"]),
      });
      expect(proxy.server.history.at(-1)).toMatchObject({ ok: true, result: { full: true } });
    });

    afterAll(async () => {
      await proxy?.stop();
      await topo?.destroy();
    });

    it("TCP to a ClusterIP and a NodePort reaches every endpoint", async () => {
      const cluster = await topo.request({ proto: "tcp", host: "10.96.0.10", port: 80, count: 40 });
      expect(distinct(cluster)).toEqual(["pod-a", "pod-b", "pod-c"]);
      const nodePort = await topo.request({ proto: "tcp", host: nodeIP, port: 30080, count: 40 });
      expect(distinct(nodePort)).toEqual(["pod-a", "pod-b", "pod-c"]);
    });

    it("UDP to a ClusterIP and a NodePort reaches every endpoint", async () => {
      const cluster = await topo.request({ proto: "udp", host: "10.96.0.53", port: 53, count: 40 });
      expect(distinct(cluster)).toEqual(["pod-a", "pod-b", "pod-c"]);
      const nodePort = await topo.request({ proto: "udp", host: nodeIP, port: 30053, count: 40 });
      expect(distinct(nodePort)).toEqual(["pod-a", "pod-b", "pod-c"]);
    });

    it("externalTrafficPolicy Local keeps NodePort traffic on this node's endpoints", async () => {
      const r = await topo.request({ proto: "tcp", host: nodeIP, port: 30081, count: 20 });
      expect(distinct(r)).toEqual(["pod-a"]);
      // ClusterIP traffic still uses every endpoint
      const c = await topo.request({ proto: "tcp", host: "10.96.0.20", port: 80, count: 40 });
      expect(distinct(c)).toEqual(["pod-a", "pod-c", "pod-d"]);
    });

    it("ClientIP session affinity sticks to one endpoint", async () => {
      const r = await topo.request({ proto: "tcp", host: "10.96.0.30", port: 80, count: 20 });
      expect(distinct(r)).toHaveLength(1);
      expect(r[0]).toMatch(/^pod-[abc]$/);
    });

    it("a service without endpoints rejects (ClusterIP and NodePort)", async () => {
      expect(await topo.request({ proto: "tcp", host: "10.96.0.99", port: 80, count: 2 })).toEqual([
        "refused",
        "refused",
      ]);
      expect(await topo.request({ proto: "tcp", host: nodeIP, port: 30099, count: 1 })).toEqual(["refused"]);
    });

    it("removing an endpoint stops traffic to it, and clears its UDP conntrack entries", async () => {
      // A UDP "connection" from a fixed source port is pinned by conntrack to one endpoint.
      const pinned = await topo.request({
        proto: "udp",
        host: "10.96.0.53",
        port: 53,
        count: 3,
        localPort: 40123,
      });
      expect(distinct(pinned)).toHaveLength(1);
      const victim = pinned[0]!.slice(4); // "a" | "b" | "c"
      const keep = ["a", "b", "c"].filter((p) => p !== victim);
      const next = objects(["a", "b"], keep);
      await proxy.write("web.yaml", next["web.yaml"]);
      await proxy.write("dns.yaml", next["dns.yaml"]);
      await proxy.settle();
      const last = proxy.server.history.at(-1)!;
      expect(last.ok).toBe(true);
      expect(last.result.full).toBe(false);

      const web = await topo.request({ proto: "tcp", host: "10.96.0.10", port: 80, count: 30 });
      expect(distinct(web)).toEqual(["pod-a", "pod-b"]);
      // The same source port now reaches a remaining endpoint: the stale entry was deleted.
      const after = await topo.request({
        proto: "udp",
        host: "10.96.0.53",
        port: 53,
        count: 3,
        localPort: 40123,
      });
      expect(after.every((p) => keep.map((k) => `pod-${k}`).includes(p))).toBe(true);
    });

    it("serves /healthz and /metrics with upstream names", async () => {
      const h = await httpGet(`http://127.0.0.1:${proxy.server.healthzPort}/healthz`);
      expect(h.status).toBe(200);
      expect(JSON.parse(h.text)).toMatchObject({ nodeEligible: true });
      const m = (await httpGet(`http://127.0.0.1:${proxy.server.metricsPort}/metrics`)).text;
      for (const name of [
        "kubeproxy_sync_proxy_rules_duration_seconds_count",
        "kubeproxy_sync_full_proxy_rules_duration_seconds_count",
        "kubeproxy_sync_partial_proxy_rules_duration_seconds_count",
        "kubeproxy_sync_proxy_rules_endpoint_changes_pending 0",
        "kubeproxy_sync_proxy_rules_service_changes_pending 0",
        "kubeproxy_sync_proxy_rules_last_timestamp_seconds",
      ]) {
        expect(m).toContain(name);
      }
      const proxyMode = (await httpGet(`http://127.0.0.1:${proxy.server.metricsPort}/proxyMode`)).text;
      expect(proxyMode).toBe(mode);
      expect(m).toMatch(/^kubeproxy_sync_partial_proxy_rules_duration_seconds_count [1-9]/m);
    });
  });
}
