/**
 * Partial syncs at scale and repair after out-of-band damage, in network namespaces, through the real
 * proxy: 1000 services, one endpoint changes → the applied input touches that service only; a partial
 * restore that fails because someone deleted a chain → the next sync is full and traffic works again.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { endpointChainName, serviceChainName } from "../../core/proxy/mod.ts";
import { coreModeUnavailable } from "./core-mode.ts";
import { createTopology, netnsUnavailable, nodeIP, type Topology } from "./netns.ts";
import { nodeObject, type RunningProxy, service, slice, startTestProxy } from "./proxy-harness.ts";

const unavailable = netnsUnavailable();
if (unavailable) console.warn(`skipping proxy partial-sync tests: ${unavailable}`);
const modes = (["iptables", "nftables"] as const).filter((m) => {
  const why = coreModeUnavailable(m);
  if (why) console.warn(`skipping proxy partial-sync tests for ${m}: ${why}`);
  return !why;
});

const TCP = 8080;
const N = 1000;
const podIP = (p: string) => `10.244.0.${10 + p.charCodeAt(0) - 97}`;
const clusterIP = (i: number) => `10.96.${10 + (i >> 8)}.${i & 255}`;
const distinct = (xs: string[]) => [...new Set(xs)].sort();

function manyServices(changed?: { index: number; pods: string[] }): unknown[] {
  const out: unknown[] = [];
  for (let i = 0; i < N; i++) {
    const pods = changed?.index === i ? changed.pods : ["a", "b"];
    out.push(service(`svc-${i}`, clusterIP(i), [{ name: "http", port: 80, targetPort: TCP }]));
    out.push(
      slice(
        `svc-${i}`,
        pods.map((p) => ({ ip: podIP(p), node: "node-a" })),
        [{ name: "http", port: TCP }],
      ),
    );
  }
  return out;
}

for (const mode of modes) {
  describe.skipIf(!!unavailable)(`proxy partial syncs and repair (${mode})`, () => {
    let topo: Topology;
    let proxy: RunningProxy;

    beforeAll(async () => {
      topo = await createTopology(mode === "iptables" ? "ps-ipt" : "ps-nft", 3);
      await topo.startEcho([TCP], []);
      proxy = await startTestProxy({
        mode,
        netns: topo.node,
        files: { "node.yaml": [nodeObject(nodeIP)], "many.yaml": manyServices() },
      });
      expect(proxy.server.history.at(-1)).toMatchObject({ ok: true, result: { full: true } });
    }, 120_000);

    afterAll(async () => {
      await proxy?.stop();
      await topo?.destroy();
    });

    it("1000 services: one endpoint change writes that service only", async () => {
      expect(
        distinct(await topo.request({ proto: "tcp", host: clusterIP(500), port: 80, count: 20 })),
      ).toEqual(["pod-a", "pod-b"]);
      await proxy.write("many.yaml", manyServices({ index: 500, pods: ["a", "c"] }));
      await proxy.settle();
      const last = proxy.server.history.at(-1)!;
      expect(last).toMatchObject({ ok: true, result: { full: false } });
      const text = last.result.text;
      expect(text.length).toBeGreaterThan(0);
      expect(Buffer.byteLength(text)).toBeLessThanOrEqual(4096);
      // every service named in the input is svc-500
      const named = new Set([...text.matchAll(/test\/svc-(\d+)/g)].map((m) => m[1]));
      expect([...named]).toEqual(["500"]);
      if (mode === "iptables") {
        const spn = "test/svc-500:http";
        const allowed = new Set([
          serviceChainName(spn, "tcp"),
          ...["a", "b", "c"].map((p) => endpointChainName(spn, "tcp", `${podIP(p)}:${TCP}`)),
        ]);
        const chains = new Set(text.match(/KUBE-(SVC|SVL|EXT|FW|SEP)-[A-Z2-7]{16}/g) ?? []);
        expect(chains.size).toBeGreaterThan(0);
        for (const c of chains) expect(allowed.has(c)).toBe(true);
        // shared chains are not rewritten
        expect(text).not.toMatch(/^:KUBE-SERVICES /m);
      } else {
        expect(text).not.toContain("svc-499");
      }
      expect(
        distinct(await topo.request({ proto: "tcp", host: clusterIP(500), port: 80, count: 20 })),
      ).toEqual(["pod-a", "pod-c"]);
      expect(
        distinct(await topo.request({ proto: "tcp", host: clusterIP(10), port: 80, count: 20 })),
      ).toEqual(["pod-a", "pod-b"]);
    });

    it("a partial restore broken by an out-of-band change fails; the next sync is full and repairs traffic", async () => {
      const i = 7;
      if (mode === "iptables") {
        // svc-7 gets endpoints a, b, c; someone empties its service chain and deletes endpoint b's chain.
        await proxy.write("many.yaml", manyServices({ index: i, pods: ["a", "b", "c"] }));
        await proxy.settle();
        expect(proxy.server.history.at(-1)).toMatchObject({ ok: true });
        const spn = `test/svc-${i}:http`;
        await topo.exec(topo.node, ["iptables", "-w", "-t", "nat", "-F", serviceChainName(spn, "tcp")]);
        const sep = endpointChainName(spn, "tcp", `${podIP("b")}:${TCP}`);
        await topo.exec(topo.node, ["iptables", "-w", "-t", "nat", "-F", sep]);
        await topo.exec(topo.node, ["iptables", "-w", "-t", "nat", "-X", sep]);
        expect(
          await topo.request({ proto: "tcp", host: clusterIP(i), port: 80, count: 1, timeoutMs: 500 }),
        ).toEqual(["timeout"]);
      } else {
        // svc-7 loses its endpoints (rejected through @no-endpoint-services); someone deletes that element.
        await proxy.write("many.yaml", manyServices({ index: i, pods: [] }));
        await proxy.settle();
        expect(proxy.server.history.at(-1)).toMatchObject({ ok: true });
        expect(await topo.request({ proto: "tcp", host: clusterIP(i), port: 80, count: 1 })).toEqual([
          "refused",
        ]);
        await topo.exec(topo.node, [
          "nft",
          "delete",
          "element",
          "ip",
          "kube-proxy",
          "no-endpoint-services",
          `{ ${clusterIP(i)} . tcp . 80 }`,
        ]);
      }
      const failuresBefore =
        mode === "iptables"
          ? proxy.server.metrics.restoreFailures.get()
          : proxy.server.metrics.nftablesSyncFailures.get();

      // iptables: endpoint c goes away, and the rewritten service chain refers to b's missing chain.
      // nftables: endpoints a, b appear, and the transaction deletes the element that is already gone.
      await proxy.write("many.yaml", manyServices({ index: i, pods: ["a", "b"] }));
      await proxy.settle();
      const failed = proxy.server.history.at(-1)!;
      expect(failed).toMatchObject({ ok: false, result: { full: false } });
      expect(failed.error).toBeTruthy();
      if (mode === "iptables") {
        expect(proxy.server.metrics.restoreFailures.get()).toBe(failuresBefore + 1);
        expect(proxy.server.metrics.partialRestoreFailures.get()).toBeGreaterThanOrEqual(1);
      } else {
        expect(proxy.server.metrics.nftablesSyncFailures.get()).toBe(failuresBefore + 1);
      }

      // The next sync (ours, or the runner's retry if it came first) is full and succeeds.
      const after = proxy.server.history.length;
      await proxy.server.syncNow();
      expect(proxy.server.history[after]).toMatchObject({
        ok: true,
        result: { full: true, fullReason: "restore-failed" },
      });
      expect(distinct(await topo.request({ proto: "tcp", host: clusterIP(i), port: 80, count: 30 }))).toEqual(
        ["pod-a", "pod-b"],
      );
    });

    it("a flushed table (iptables: vanished canary; nftables: deleted table) triggers a full sync", async () => {
      if (mode === "iptables") {
        await topo.exec(topo.node, ["iptables", "-w", "-t", "nat", "-F"]);
        // flushing nat keeps the (empty) canary chain; deleting it is what a full flush (-F; -X) does
        expect(await proxy.server.checkCanary()).toBe(true);
        await topo.exec(topo.node, ["iptables", "-w", "-t", "mangle", "-X", "KUBE-PROXY-CANARY"]);
      } else {
        await topo.exec(topo.node, ["nft", "delete", "table", "ip", "kube-proxy"]);
      }
      expect(await proxy.server.checkCanary()).toBe(false);
      await proxy.settle();
      expect(proxy.server.history.at(-1)).toMatchObject({
        ok: true,
        result: { full: true, fullReason: "canary" },
      });
      expect(await proxy.server.checkCanary()).toBe(true);
      expect(
        distinct(await topo.request({ proto: "tcp", host: clusterIP(42), port: 80, count: 20 })),
      ).toEqual(["pod-a", "pod-b"]);
    });
  });
}
