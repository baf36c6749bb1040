/** Property tests: bad values in objects never crash a sync or leak into rules; partial syncs converge. */
import fc from "fast-check";
import { describe, expect, it } from "../../test/harness.ts";
import type { EndpointSlice, Service } from "../api/mod.ts";
import { KiteError } from "../errors/mod.ts";
import {
  createProxier,
  NftState,
  type ProxierConfig,
  type ProxyMode,
  parseCIDR,
  parseIP,
  sortNftLines,
} from "./mod.ts";
import type { NftablesProxier } from "./nftables-proxier.ts";
import { sha256, utf8 } from "./sha256.ts";
import { newFakeIptables } from "./test-support/iptables-checks.ts";

const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, "0")).join("");

describe("sha256", () => {
  it("matches the FIPS 180-4 test vectors", () => {
    expect(hex(sha256(utf8("abc")))).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(hex(sha256(utf8("")))).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(hex(sha256(utf8("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")))).toBe(
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
    );
  });
});

describe("IP and CIDR parsing", () => {
  it("reads IPv4 octets with leading zeros as decimal and prints them canonically", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }),
        fc.array(fc.nat(2), { minLength: 4, maxLength: 4 }),
        (octets, pads) => {
          const text = octets
            .map((o, i) =>
              String(o)
                .padStart(String(o).length + pads[i]!, "0")
                .slice(-3),
            )
            .join(".");
          const p = parseIP(text);
          const valid = text.split(".").every((s) => s.length <= 3);
          if (!valid) return;
          expect(p?.text).toBe(octets.join("."));
        },
      ),
      { seed: 3 },
    );
  });
  it("never throws, and canonical forms are fixed points", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.ipV4(), fc.ipV6(), fc.ipV4Extended()), (s) => {
        const p = parseIP(s);
        if (p) expect(parseIP(p.text)?.text).toBe(p.text);
        const c = parseCIDR(`${s}/${s.length % 140}`);
        if (c) expect(parseCIDR(c.text)?.text).toBe(c.text);
      }),
      { numRuns: 500, seed: 11 },
    );
  });
});

const junk = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom("300.1.2.3", "1.2.3", "::zz", "10.0.0.0/33", " 1.2.3.4", "1.2.3.4/24", "", "None"),
  fc.ipV4(),
  fc.ipV6(),
);
const port = fc.oneof(fc.integer({ min: -5, max: 70000 }), fc.constant(Number.NaN), fc.constant(80));

const badService = fc.record({
  clusterIP: junk,
  externalIPs: fc.array(junk, { maxLength: 3 }),
  ingress: fc.array(junk, { maxLength: 2 }),
  ranges: fc.array(junk, { maxLength: 2 }),
  port,
  nodePort: port,
  type: fc.constantFrom("ClusterIP", "NodePort", "LoadBalancer", "ExternalName"),
  etp: fc.constantFrom("Cluster", "Local"),
  epIPs: fc.array(junk, { maxLength: 3 }),
  epPort: port,
});

function toObjects(v: {
  clusterIP: string;
  externalIPs: string[];
  ingress: string[];
  ranges: string[];
  port: number;
  nodePort: number;
  type: string;
  etp: string;
  epIPs: string[];
  epPort: number;
}): [Service, EndpointSlice] {
  const svc = {
    kind: "Service",
    metadata: { namespace: "ns", name: "svc" },
    spec: {
      type: v.type,
      clusterIP: v.clusterIP,
      externalIPs: v.externalIPs,
      loadBalancerSourceRanges: v.ranges,
      externalTrafficPolicy: v.etp,
      ports: [{ name: "p", protocol: "TCP", port: v.port, nodePort: v.nodePort }],
    },
    status: { loadBalancer: { ingress: v.ingress.map((ip) => ({ ip })) } },
  } as unknown as Service;
  const slice = {
    kind: "EndpointSlice",
    metadata: { namespace: "ns", name: "svc-1", labels: { "kubernetes.io/service-name": "svc" } },
    addressType: "IPv4",
    ports: [{ name: "p", protocol: "TCP", port: v.epPort }],
    endpoints: v.epIPs.map((ip) => ({ addresses: [ip], nodeName: "node-a" })),
  } as unknown as EndpointSlice;
  return [svc, slice];
}

const cfg = (mode: ProxyMode): ProxierConfig => ({
  mode,
  hostname: "node-a",
  nodeIPs: ["192.168.0.2"],
  clusterCIDR: "10.0.0.0/8",
  networkInterfaces: { eth0: ["192.168.0.2/24"] },
});

describe("bad values in objects", () => {
  for (const mode of ["iptables", "nftables", "ipvs"] as const) {
    it(`${mode}: never crash a sync; invalid addresses never reach the rules`, () => {
      fc.assert(
        fc.property(badService, (v) => {
          const p = createProxier(cfg(mode));
          const [svc, slice] = toObjects(v);
          p.handle({ kind: "Service", op: "add", object: svc });
          p.handle({ kind: "EndpointSlice", op: "add", object: slice });
          const r = p.sync({ now: 0 });
          const all = `${r.text}${r.ipvs?.ipsetRestore ?? ""}${r.ipvs?.iptablesRestore ?? ""}`;
          for (const s of [v.clusterIP, ...v.externalIPs, ...v.ingress, ...v.epIPs]) {
            if (s.length >= 4 && !parseIP(s) && !parseCIDR(s)) expect(all).not.toContain(` ${s} `);
          }
          if (mode === "iptables") expect(newFakeIptables().restore(r.text)).toBe(true);
          if (mode === "nftables") new NftState("ip", "kube-proxy").applyTransaction(r.text);
        }),
        { numRuns: 150, seed: 7 },
      );
    });
  }

  it("malformed objects are refused with the field named, and nothing known is lost", () => {
    const p = createProxier(cfg("iptables"));
    p.handle({
      kind: "Service",
      op: "add",
      object: toObjects({
        clusterIP: "172.30.0.1",
        externalIPs: [],
        ingress: [],
        ranges: [],
        port: 80,
        nodePort: 0,
        type: "ClusterIP",
        etp: "Cluster",
        epIPs: [],
        epPort: 80,
      })[0],
    });
    const bad: unknown[] = [
      null,
      7,
      { metadata: {} },
      { metadata: { name: "x" } },
      { metadata: { name: "x" }, spec: { ports: "80" } },
    ];
    for (const object of bad) {
      try {
        p.handle({ kind: "Service", op: "add", object: object as Service });
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(KiteError);
        expect((e as KiteError).code).toBe("invalid_argument");
        expect((e as KiteError).field).toBeTruthy();
      }
    }
    expect(p.servicePorts().length).toBe(1);
    expect(() => createProxier({ ...cfg("ipvs"), ipvs: { scheduler: "bogus" } })).toThrow(/ipvs.scheduler/);
    expect(() => createProxier({ ...cfg("iptables"), clusterCIDR: "10.0.0.0/99" })).toThrow(/clusterCIDR/);
    expect(() => createProxier({ ...cfg("iptables"), nodeIPs: ["x"] })).toThrow(/nodeIPs\[0\]/);
  });
});

/** Random event sequences: after each partial sync the kernel equals a fresh full render. */
describe("partial syncs converge to the full render", () => {
  const event = fc.record({
    svc: fc.integer({ min: 0, max: 4 }),
    op: fc.constantFrom("add-svc", "del-svc", "eps", "del-eps", "policy"),
    n: fc.integer({ min: 0, max: 3 }),
    local: fc.boolean(),
  });
  const service = (i: number, local: boolean): Service => ({
    kind: "Service",
    metadata: { namespace: "ns", name: `s${i}` },
    spec: {
      type: i % 2 ? "NodePort" : "ClusterIP",
      clusterIP: `172.30.0.${i + 1}`,
      externalTrafficPolicy: local ? "Local" : "Cluster",
      sessionAffinity: i === 3 ? "ClientIP" : "None",
      ports: [
        { name: "p", protocol: i === 4 ? "UDP" : "TCP", port: 80, ...(i % 2 ? { nodePort: 30000 + i } : {}) },
      ],
    },
  });
  const slice = (i: number, n: number): EndpointSlice => ({
    kind: "EndpointSlice",
    metadata: { namespace: "ns", name: `s${i}-x`, labels: { "kubernetes.io/service-name": `s${i}` } },
    addressType: "IPv4",
    ports: [{ name: "p", protocol: i === 4 ? "UDP" : "TCP", port: 8080 }],
    endpoints: Array.from({ length: n }, (_, k) => ({
      addresses: [`10.1.${i}.${k + 1}`],
      ...(k % 2 ? { nodeName: "node-a" } : {}),
    })),
  });
  for (const mode of ["iptables", "nftables"] as const) {
    it(mode, () => {
      fc.assert(
        fc.property(
          fc.array(fc.array(event, { maxLength: 4 }), { minLength: 2, maxLength: 8 }),
          (batches) => {
            const p = createProxier({ ...cfg(mode), partialSyncForm: "minimal" });
            const ipt = newFakeIptables();
            const nft = new NftState("ip", "kube-proxy");
            const events: Parameters<typeof p.handle>[0][] = [];
            let now = 0;
            for (const batch of batches) {
              for (const e of batch) {
                const ev =
                  e.op === "add-svc" || e.op === "policy"
                    ? ({ kind: "Service", op: "add", object: service(e.svc, e.local) } as const)
                    : e.op === "del-svc"
                      ? ({ kind: "Service", op: "delete", object: service(e.svc, false) } as const)
                      : e.op === "eps"
                        ? ({ kind: "EndpointSlice", op: "add", object: slice(e.svc, e.n) } as const)
                        : ({ kind: "EndpointSlice", op: "delete", object: slice(e.svc, 0) } as const);
                p.handle(ev);
                events.push(ev);
              }
              now += 5000;
              const r = p.sync({ now });
              if (mode === "iptables") expect(ipt.restore(r.text)).toBe(true);
              else {
                nft.applyTransaction(r.cleanupText ?? "");
                nft.applyTransaction(r.text);
              }
              p.applied(r.id, true);
            }
            // settle nft stale chains
            if (mode === "nftables") {
              const r = p.sync({ now: now + 5000 });
              nft.applyTransaction(r.cleanupText ?? "");
              nft.applyTransaction(r.text);
              p.applied(r.id, true);
            }
            const fresh = createProxier(cfg(mode));
            for (const ev of events) fresh.handle(ev);
            const full = fresh.sync({ now: 0 });
            if (mode === "iptables") {
              const k = newFakeIptables();
              expect(k.restore(full.text)).toBe(true);
              const dump = (t: typeof k.tables) =>
                [...t]
                  .flatMap(([n, cs]) =>
                    [...cs]
                      .filter(([, r]) => r.length || true)
                      .map(([c, r]) => `${n} ${c} ${[...r].sort().join("|")}`),
                  )
                  .sort();
              expect(dump(ipt.tables)).toEqual(dump(k.tables));
            } else {
              const k = new NftState("ip", "kube-proxy");
              k.applyTransaction(full.text);
              expect(sortNftLines(nft.dump())).toBe(sortNftLines(k.dump()));
              // the proxier's own table model (updated from recorded operations) matches the kernel
              expect(sortNftLines((p.backend as NftablesProxier).kernelState.dump())).toBe(
                sortNftLines(nft.dump()),
              );
            }
          },
        ),
        { numRuns: 200, seed: 20261124 },
      );
    });
  }
});

describe("arbitrary JSON where objects are expected", () => {
  for (const mode of ["iptables", "nftables", "ipvs"] as const) {
    it(`${mode}: handle() either accepts or throws KiteError(invalid_argument); sync never throws`, () => {
      fc.assert(
        fc.property(fc.anything(), fc.anything(), fc.anything(), (spec, ports, endpoints) => {
          const p = createProxier(cfg(mode));
          const svc = {
            kind: "Service",
            metadata: { namespace: "ns", name: "svc" },
            spec,
          } as unknown as Service;
          const svc2 = {
            kind: "Service",
            metadata: { namespace: "ns", name: "svc2" },
            spec: { clusterIP: "172.30.0.9", ports },
          } as unknown as Service;
          const slice = {
            kind: "EndpointSlice",
            metadata: { namespace: "ns", name: "s", labels: { "kubernetes.io/service-name": "svc2" } },
            addressType: "IPv4",
            ports,
            endpoints,
          } as unknown as EndpointSlice;
          for (const ev of [
            { kind: "Service", op: "add", object: svc },
            { kind: "Service", op: "add", object: svc2 },
            { kind: "EndpointSlice", op: "add", object: slice },
          ] as const) {
            try {
              p.handle(ev);
            } catch (e) {
              expect(e).toBeInstanceOf(KiteError);
              expect((e as KiteError).code).toBe("invalid_argument");
            }
          }
          p.sync({ now: 0 });
        }),
        { numRuns: 300, seed: 99 },
      );
    });
  }
});
