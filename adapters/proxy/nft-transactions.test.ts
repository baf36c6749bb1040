import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { nftTransactions } from "./nft-transactions.ts";

const lines = (tx: string) => tx.split("\n").filter((l) => l !== "");

describe("nftTransactions", () => {
  it("moves declarations before their users in one transaction, keeping the rest in order", () => {
    const script = [
      "add table ip kube-proxy",
      "add element ip kube-proxy service-ips { 10.0.0.1 . tcp . 80 : goto service-X }",
      "add chain ip kube-proxy service-X",
      "flush chain ip kube-proxy service-X",
      "add rule ip kube-proxy service-X goto endpoint-Y",
      "add chain ip kube-proxy endpoint-Y",
      "add set ip kube-proxy affinity-Y { type ipv4_addr ; flags dynamic,timeout ; timeout 10800s ; }",
      "delete chain ip kube-proxy old-Z",
      "add chain ip kube-proxy old-Z",
    ].join("\n");
    const txs = nftTransactions(script);
    expect(txs).toHaveLength(1);
    expect(lines(txs[0]!)).toEqual([
      "add table ip kube-proxy",
      "add chain ip kube-proxy service-X",
      "add chain ip kube-proxy endpoint-Y",
      "add set ip kube-proxy affinity-Y { type ipv4_addr ; flags dynamic,timeout ; timeout 10800s ; }",
      "add element ip kube-proxy service-ips { 10.0.0.1 . tcp . 80 : goto service-X }",
      "flush chain ip kube-proxy service-X",
      "add rule ip kube-proxy service-X goto endpoint-Y",
      "delete chain ip kube-proxy old-Z",
      "add chain ip kube-proxy old-Z",
    ]);
  });

  it("gives nothing for an empty script", () => {
    expect(nftTransactions("")).toEqual([]);
    expect(nftTransactions("\n  \n")).toEqual([]);
  });

  it("splits a large script into declarations, then the body with vmap-literal chains first", () => {
    const p = "ip kube-proxy";
    const script = [
      `add table ${p}`,
      `flush table ${p}`,
      `add chain ${p} services`,
      `flush chain ${p} services`,
      `add rule ${p} services ip daddr . meta l4proto . th dport vmap @service-ips`,
      `add chain ${p} endpoint-A-ns/a/tcp/p__10.1.0.1/80`,
      `flush chain ${p} endpoint-A-ns/a/tcp/p__10.1.0.1/80`,
      `add rule ${p} endpoint-A-ns/a/tcp/p__10.1.0.1/80 meta l4proto tcp dnat to 10.1.0.1:80`,
      `add chain ${p} service-A-ns/a/tcp/p`,
      `flush chain ${p} service-A-ns/a/tcp/p`,
      `add rule ${p} service-A-ns/a/tcp/p ip daddr 10.0.0.1 jump mark-for-masquerade`,
      `add rule ${p} service-A-ns/a/tcp/p numgen random mod 1 vmap { 0 : goto endpoint-A-ns/a/tcp/p__10.1.0.1/80 }`,
      `add map ${p} service-ips { type ipv4_addr . inet_proto . inet_service : verdict ; }`,
      `add element ${p} service-ips { 10.0.0.1 . tcp . 80 : goto service-A-ns/a/tcp/p }`,
    ].join("\n");
    const txs = nftTransactions(script, { splitAtVmapLiterals: 1 });
    expect(txs.map(lines)).toEqual([
      [
        `add table ${p}`,
        `add chain ${p} services`,
        `add chain ${p} endpoint-A-ns/a/tcp/p__10.1.0.1/80`,
        `add chain ${p} service-A-ns/a/tcp/p`,
        `add map ${p} service-ips { type ipv4_addr . inet_proto . inet_service : verdict ; }`,
      ],
      [
        `flush table ${p}`,
        `flush chain ${p} service-A-ns/a/tcp/p`,
        `add rule ${p} service-A-ns/a/tcp/p ip daddr 10.0.0.1 jump mark-for-masquerade`,
        `add rule ${p} service-A-ns/a/tcp/p numgen random mod 1 vmap { 0 : goto endpoint-A-ns/a/tcp/p__10.1.0.1/80 }`,
        `flush chain ${p} services`,
        `add rule ${p} services ip daddr . meta l4proto . th dport vmap @service-ips`,
        `flush chain ${p} endpoint-A-ns/a/tcp/p__10.1.0.1/80`,
        `add rule ${p} endpoint-A-ns/a/tcp/p__10.1.0.1/80 meta l4proto tcp dnat to 10.1.0.1:80`,
        `add element ${p} service-ips { 10.0.0.1 . tcp . 80 : goto service-A-ns/a/tcp/p }`,
      ],
    ]);
    // Below the threshold it stays one transaction.
    expect(nftTransactions(script, { splitAtVmapLiterals: 2 })).toHaveLength(1);
  });

  // Scripts made of the statement kinds the nftables proxier writes, over a few chains and sets.
  const chain = fc.constantFrom("c1", "c2", "svc/a", "svc/b", "ep/x");
  const set = fc.constantFrom("s1", "affinity-a");
  const line = fc.oneof(
    chain.map((c) => `add chain ip t ${c}`),
    chain.map((c) => `flush chain ip t ${c}`),
    chain.map((c) => `delete chain ip t ${c}`),
    fc.tuple(chain, fc.nat(9)).map(([c, n]) => `add rule ip t ${c} counter comment "r${n}"`),
    fc.tuple(chain, chain).map(([c, d]) => `add rule ip t ${c} numgen random mod 1 vmap { 0 : goto ${d} }`),
    set.map((s) => `add set ip t ${s} { type ipv4_addr ; }`),
    set.map((s) => `delete set ip t ${s}`),
    fc.nat(9).map((n) => `add element ip t s1 { 10.0.0.${n} }`),
    fc.constant("flush table ip t"),
  );

  it("never loses, duplicates or invents a line, and keeps each chain's own statements in order", () => {
    fc.assert(
      fc.property(fc.array(line, { maxLength: 40 }), fc.integer({ min: 0, max: 3 }), (ls, threshold) => {
        const script = ["add table ip t", ...ls].join("\n");
        const out = nftTransactions(script, { splitAtVmapLiterals: threshold }).flatMap(lines);
        expect([...out].sort()).toEqual(["add table ip t", ...ls].sort());
        // Per chain (and per set), the statements that change it keep their relative order, except
        // declarations (idempotent `add`) of objects the script never deletes.
        const deleted = new Set(ls.filter((l) => l.startsWith("delete ")).map((l) => l.split(" ")[4]));
        const key = (l: string) => {
          const w = l.split(" ");
          if (w[0] === "flush" && w[1] === "table") return "*";
          if (w[0] === "add" && (w[1] === "chain" || w[1] === "set") && !deleted.has(w[4])) return undefined;
          return w[0] === "add" && w[1] === "element" ? w[4] : w[4];
        };
        const seq = (xs: string[]) => {
          const m = new Map<string, string[]>();
          for (const l of xs) {
            const k = key(l);
            if (k === undefined) continue;
            m.set(k, [...(m.get(k) ?? []), l]);
          }
          return m;
        };
        const before = seq(["add table ip t", ...ls]);
        const after = seq(out);
        for (const [k, v] of before) if (k !== "*") expect(after.get(k)).toEqual(v);
        // Nothing that followed the last `flush table` moves ahead of it (it would be flushed).
        const lastIn = ls.lastIndexOf("flush table ip t");
        if (lastIn >= 0) {
          const ahead = out.slice(0, out.lastIndexOf("flush table ip t"));
          for (const l of ls.slice(lastIn + 1))
            if (!/^add (chain|set) /.test(l) && !ls.slice(0, lastIn).includes(l))
              expect(ahead).not.toContain(l);
        }
      }),
      { numRuns: 500 },
    );
  });
});
