/**
 * Partial syncs at scale: with 1000 services, one endpoint change writes only that service's
 * chains (kite's minimal form), and applying every partial sync keeps the kernel equal to what a
 * fresh full sync would produce. Also the fault path: a failed partial restore → next sync full.
 */
import { describe, expect, it } from "../../test/harness.ts";
import {
  createProxier,
  endpointChainName,
  NftState,
  type ProxierConfig,
  serviceChainName,
  sortNftLines,
} from "./mod.ts";
import { newFakeIptables } from "./test-support/iptables-checks.ts";
import { clusterIPService, sliceFor } from "./test-support/objects.ts";

const base: ProxierConfig = {
  mode: "iptables",
  hostname: "node-a",
  nodeIPs: ["192.168.0.2"],
  clusterCIDR: "10.0.0.0/8",
};

function loaded(config: ProxierConfig, n: number, eps: number) {
  const p = createProxier(config);
  for (let i = 0; i < n; i++) {
    p.handle({ kind: "Service", op: "add", object: clusterIPService(i) });
    p.handle({ kind: "EndpointSlice", op: "add", object: sliceFor(i, eps) });
  }
  return p;
}

function kernelDump(tables: Map<string, Map<string, string[]>>): string {
  const out: string[] = [];
  for (const t of [...tables.keys()].sort()) {
    const chains = tables.get(t)!;
    for (const c of [...chains.keys()].sort()) out.push(`${t} ${c}`, ...[...chains.get(c)!].sort());
  }
  return out.join("\n");
}

describe("iptables partial sync (1000 services)", () => {
  it("a one-endpoint change writes only that service's chains (minimal form)", () => {
    const p = loaded({ ...base, partialSyncForm: "minimal" }, 1000, 3);
    const kernel = newFakeIptables();
    const first = p.sync({ now: 0 });
    expect(first.full).toBe(true);
    expect(kernel.restore(first.text)).toBe(true);
    p.applied(first.id, true);

    const changed = sliceFor(417, 3);
    changed.endpoints![1]!.addresses = ["10.99.0.7"];
    p.handle({ kind: "EndpointSlice", op: "update", object: changed });
    const r = p.sync({ now: 1000 });
    expect(r.full).toBe(false);
    expect(kernel.restore(r.text)).toBe(true);
    p.applied(r.id, true);
    // Only svc417's chains appear: its KUBE-SVC chain, the new SEP, the old SEP's deletion.
    const chains = r.text
      .split("\n")
      .filter((l) => l.startsWith(":"))
      .map((l) => l.slice(1).split(" ")[0]);
    expect(chains.length).toBe(3);
    // (3000 endpoints: large-cluster mode, so no comments; check chain names instead)
    const own = new Set([
      serviceChainName("ns17/svc417:http", "TCP"),
      ...changed.endpoints!.map((e) =>
        endpointChainName("ns17/svc417:http", "TCP", `${e.addresses[0]}:8080`),
      ),
    ]);
    const rules = r.text.split("\n").filter((l) => l.startsWith("-A "));
    expect(rules.length).toBeGreaterThan(0);
    for (const l of rules) expect(own.has(l.split(" ")[1]!)).toBe(true);
    expect(r.text).not.toContain("KUBE-SERVICES");
    expect(r.text).toContain("-X KUBE-SEP-");
    expect(r.counts.bytes).toBeLessThan(4096);
    // The kernel now equals a fresh full render of the same objects.
    const fresh = loaded(base, 1000, 3);
    fresh.handle({ kind: "EndpointSlice", op: "update", object: changed });
    const fk = newFakeIptables();
    expect(fk.restore(fresh.sync({ now: 0 }).text)).toBe(true);
    expect(kernelDump(kernel.tables)).toBe(kernelDump(fk.tables));
  });

  it("upstream form rewrites the shared chains but only the changed service's own chains", () => {
    const p = loaded({ ...base, partialSyncForm: "upstream" }, 1000, 3);
    const first = p.sync({ now: 0 });
    p.applied(first.id, true);
    const changed = sliceFor(5, 3);
    changed.endpoints!.pop();
    p.handle({ kind: "EndpointSlice", op: "update", object: changed });
    // Large-cluster mode (3000 endpoints) deletes stale chains at most once per sync period (30 s).
    const r = p.sync({ now: 40_000 });
    expect(r.text).toContain(":KUBE-SERVICES - [0:0]");
    const svcChains = r.text
      .split("\n")
      .filter((l) => /^:KUBE-(SVC|SEP|EXT|FW|SVL)-/.test(l))
      .map((l) => l.slice(1).split(" ")[0]);
    // svc5's KUBE-SVC + its two remaining SEPs + the removed SEP (declared for -X)
    expect(svcChains.length).toBe(4);
    expect(r.text.split("\n").filter((l) => l.startsWith("-A KUBE-SERVICES")).length).toBe(1001);
  });

  it("adding and deleting services edits KUBE-SERVICES rule by rule and keeps the kernel equal to a full render", () => {
    const p = loaded({ ...base, partialSyncForm: "minimal" }, 200, 2);
    const kernel = newFakeIptables();
    let r = p.sync({ now: 0 });
    expect(kernel.restore(r.text)).toBe(true);
    p.applied(r.id, true);
    p.handle({ kind: "Service", op: "delete", object: clusterIPService(7) });
    p.handle({ kind: "Service", op: "add", object: clusterIPService(300) });
    p.handle({ kind: "EndpointSlice", op: "add", object: sliceFor(300, 2) });
    p.handle({ kind: "Service", op: "add", object: clusterIPService(301) }); // no endpoints: filter REJECT
    r = p.sync({ now: 1000 });
    expect(r.text.split("*nat")[1]).not.toContain(":KUBE-SERVICES");
    expect(r.text).toContain("-D KUBE-SERVICES");
    expect(r.text).toContain("-I KUBE-SERVICES 1");
    expect(kernel.restore(r.text)).toBe(true);
    p.applied(r.id, true);
    const fresh = loaded(base, 200, 2);
    fresh.handle({ kind: "Service", op: "delete", object: clusterIPService(7) });
    fresh.handle({ kind: "Service", op: "add", object: clusterIPService(300) });
    fresh.handle({ kind: "EndpointSlice", op: "add", object: sliceFor(300, 2) });
    fresh.handle({ kind: "Service", op: "add", object: clusterIPService(301) });
    const fk = newFakeIptables();
    expect(fk.restore(fresh.sync({ now: 0 }).text)).toBe(true);
    expect(kernelDump(kernel.tables)).toBe(kernelDump(fk.tables));
  });

  it("a partial restore that fails makes the next sync full and repairs the kernel", () => {
    const p = loaded({ ...base, partialSyncForm: "minimal" }, 50, 2);
    const kernel = newFakeIptables();
    let r = p.sync({ now: 0 });
    expect(kernel.restore(r.text)).toBe(true);
    p.applied(r.id, true);
    // Out of band: someone makes svc3's SEP chain referenced from elsewhere; deleting svc3 must fail.
    const sep = r.text
      .split("\n")
      .find((l) => l.startsWith("-A KUBE-SEP-") && l.includes("ns3/svc3:http"))!
      .split(" ")[1]!;
    kernel.append("nat", "KUBE-SVC-ROGUE", `-A KUBE-SVC-ROGUE -j ${sep}`);
    p.handle({ kind: "Service", op: "delete", object: clusterIPService(3) });
    r = p.sync({ now: 1000 });
    expect(r.full).toBe(false);
    const ok = kernel.restore(r.text);
    expect(ok).toBe(false);
    p.applied(r.id, ok);
    expect(p.needsFullSync(2000)).toBe("restore-failed");
    kernel.tables.get("nat")!.delete("KUBE-SVC-ROGUE"); // the operator removes the rogue rule
    r = p.sync({ now: 2000, existingNatChains: [...kernel.tables.get("nat")!.keys()] });
    expect(r.full).toBe(true);
    expect(r.fullReason).toBe("restore-failed");
    expect(kernel.restore(r.text)).toBe(true);
    p.applied(r.id, true);
    expect([...kernel.tables.get("nat")!.keys()].some((c) => c === sep)).toBe(false);
    expect(p.needsFullSync(3000)).toBeUndefined();
  });

  it("large-cluster mode postpones stale-chain deletion, and never deletes chains that came back", () => {
    for (const form of ["upstream", "minimal"] as const) {
      const p = loaded(
        { ...base, partialSyncForm: form, largeClusterEndpointsThreshold: 5, syncPeriodMs: 30_000 },
        4,
        2,
      );
      const kernel = newFakeIptables();
      let r = p.sync({ now: 0 });
      expect(kernel.restore(r.text)).toBe(true);
      p.applied(r.id, true);
      const svc1Chain = serviceChainName("ns1/svc1:http", "TCP");
      p.handle({ kind: "Service", op: "delete", object: clusterIPService(1) });
      r = p.sync({ now: 1000 });
      expect(kernel.restore(r.text)).toBe(true);
      p.applied(r.id, true);
      if (form === "upstream") expect(r.text).not.toContain(`-X ${svc1Chain}`);
      p.handle({ kind: "Service", op: "add", object: clusterIPService(1) });
      r = p.sync({ now: 2000 });
      expect(kernel.restore(r.text)).toBe(true);
      p.applied(r.id, true);
      r = p.sync({ now: 40_000 });
      expect(r.text).not.toContain(`-X ${svc1Chain}`);
      expect(kernel.restore(r.text)).toBe(true);
      p.applied(r.id, true);
      expect(kernel.tables.get("nat")!.get(svc1Chain)!.length).toBeGreaterThan(0);
    }
  });

  it("a full sync happens again after an hour, or when the canary vanished", () => {
    const p = loaded(base, 3, 1);
    const r = p.sync({ now: 0 });
    p.applied(r.id, true);
    expect(p.needsFullSync(1000)).toBeUndefined();
    expect(p.needsFullSync(3_600_000)).toBe("periodic");
    p.requestFullSync("canary");
    expect(p.needsFullSync(1000)).toBe("canary");
    expect(p.sync({ now: 1000 }).full).toBe(true);
  });
});

describe("nftables partial sync (1000 services)", () => {
  it("a one-endpoint change is a small transaction and the table equals a fresh full render", () => {
    const cfg: ProxierConfig = { ...base, mode: "nftables" };
    const p = loaded(cfg, 1000, 3);
    const kernel = new NftState("ip", "kube-proxy");
    const first = p.sync({ now: 0 });
    kernel.applyTransaction(first.text);
    p.applied(first.id, true);
    const changed = sliceFor(417, 3);
    changed.endpoints![1]!.addresses = ["10.99.0.7"];
    p.handle({ kind: "EndpointSlice", op: "update", object: changed });
    const r = p.sync({ now: 100 });
    expect(r.full).toBe(false);
    expect(r.counts.bytes).toBeLessThan(4096);
    for (const l of r.text.split("\n").filter((x) => x)) expect(l).toContain("ns17/svc417/tcp/http");
    kernel.applyTransaction(r.text);
    p.applied(r.id, true);
    // After the stale chain's delay it is deleted in its own transaction.
    const later = p.sync({ now: 5000 });
    expect(later.text).toBe("");
    expect(later.cleanupText).toContain("delete chain ip kube-proxy endpoint-");
    kernel.applyTransaction(later.cleanupText ?? "");
    p.applied(later.id, true);
    const fresh = loaded(cfg, 1000, 3);
    fresh.handle({ kind: "EndpointSlice", op: "update", object: changed });
    const fk = new NftState("ip", "kube-proxy");
    fk.applyTransaction(fresh.sync({ now: 0 }).text);
    expect(sortNftLines(kernel.dump())).toBe(sortNftLines(fk.dump()));
  });

  it("a stale chain in use again is never deleted: the change goes first, the cleanup after", () => {
    const cfg: ProxierConfig = { ...base, mode: "nftables" };
    const p = loaded(cfg, 20, 3);
    const kernel = new NftState("ip", "kube-proxy");
    let r = p.sync({ now: 0 });
    kernel.applyTransaction(r.text);
    p.applied(r.id, true);
    const original = sliceFor(7, 3);
    const moved = sliceFor(7, 3);
    moved.endpoints![1]!.addresses = ["10.99.0.8"];
    const other = sliceFor(8, 3);
    other.endpoints![0]!.addresses = ["10.99.0.9"];
    // Endpoint 1 of svc7 moves away (its chain goes stale), and so does endpoint 0 of svc8.
    p.handleAll([
      { kind: "EndpointSlice", op: "update", object: moved },
      { kind: "EndpointSlice", op: "update", object: other },
    ]);
    r = p.sync({ now: 1000 });
    kernel.applyTransaction(r.text);
    p.applied(r.id, true);
    const staleBefore = (p.backend as unknown as { staleChains(): string[] }).staleChains();
    expect(staleBefore.length).toBe(2);
    // Long after the delay, svc7's endpoint comes back: its chain is in use again.
    p.handle({ kind: "EndpointSlice", op: "update", object: original });
    r = p.sync({ now: 60_000 });
    const back = staleBefore.find((c) => c.includes("/svc7/"))!;
    const gone = staleBefore.find((c) => c.includes("/svc8/"))!;
    expect(r.cleanupText).not.toContain(back);
    expect(r.cleanupText).toContain(`delete chain ip kube-proxy ${gone}`);
    for (const l of r.text.split("\n")) expect(l).not.toContain(gone);
    // Main transaction first, then the cleanup: the table equals a fresh render.
    kernel.applyTransaction(r.text);
    kernel.applyTransaction(r.cleanupText ?? "");
    p.applied(r.id, true);
    // The chain of the address svc7 left (10.99.0.8) went stale now; a later sync deletes it.
    r = p.sync({ now: 120_000 });
    expect(r.text).toBe("");
    expect(r.cleanupText).toContain("10.99.0.8");
    kernel.applyTransaction(r.cleanupText ?? "");
    p.applied(r.id, true);
    const fresh = loaded(cfg, 20, 3);
    fresh.handle({ kind: "EndpointSlice", op: "update", object: other });
    const fk = new NftState("ip", "kube-proxy");
    fk.applyTransaction(fresh.sync({ now: 0 }).text);
    expect(sortNftLines(kernel.dump())).toBe(sortNftLines(fk.dump()));
  });

  it("a failed transaction or the hourly full sync rewrites the table atomically and repairs drift", () => {
    const cfg: ProxierConfig = { ...base, mode: "nftables" };
    const p = loaded(cfg, 20, 2);
    const kernel = new NftState("ip", "kube-proxy");
    let r = p.sync({ now: 0 });
    kernel.applyTransaction(r.text);
    p.applied(r.id, true);
    const want = sortNftLines(kernel.dump());
    // Out of band: someone deletes a map element and flushes a service chain.
    const svcChain = [...kernel.chains.keys()].find((c) => c.startsWith("service-"))!;
    kernel.applyTransaction(
      `flush chain ip kube-proxy ${svcChain}\ndelete element ip kube-proxy cluster-ips { 172.16.0.3 }\n`,
    );
    // A partial sync that the kernel rejects (simulated) → the next sync is full and starts from an emptied table.
    p.handle({ kind: "EndpointSlice", op: "update", object: sliceFor(4, 3) });
    r = p.sync({ now: 1000 });
    p.applied(r.id, false);
    r = p.sync({ now: 2000 });
    expect(r.full).toBe(true);
    expect(r.text).toContain("flush table ip kube-proxy");
    kernel.applyTransaction(r.text);
    p.applied(r.id, true);
    const fresh = loaded(cfg, 20, 2);
    fresh.handle({ kind: "EndpointSlice", op: "update", object: sliceFor(4, 3) });
    const fk = new NftState("ip", "kube-proxy");
    fk.applyTransaction(fresh.sync({ now: 0 }).text);
    expect(sortNftLines(kernel.dump())).toBe(sortNftLines(fk.dump()));
    // Drift again; the hourly full sync repairs it.
    kernel.applyTransaction("delete element ip kube-proxy cluster-ips { 172.16.0.3 }\n");
    r = p.sync({ now: 2000 + 3_600_000 });
    expect(r.fullReason).toBe("periodic");
    kernel.applyTransaction(r.text);
    p.applied(r.id, true);
    expect(sortNftLines(kernel.dump())).toBe(sortNftLines(fk.dump()));
    expect(want).not.toBe("");
  });
});
