/** Backend-independent fixtures: chain-name hashes, endpoints-map updates, nodeport addresses, probabilities. */

import { loadFixture } from "../../test/fixtures.ts";
import { describe, expect, it } from "../../test/harness.ts";
import {
  computeProbability,
  createProxier,
  endpointChainName,
  newNodePortAddresses,
  nftEndpointName,
  nftNameBase,
  nodePortIPs,
  serviceChainName,
} from "./mod.ts";
import { toEvent } from "./test-support/neutral.ts";

// biome-ignore lint/suspicious/noExplicitAny: fixture JSON
type Any = any;

const hashes: Any = await loadFixture("proxy/chain-name-hashes.json");
const epMap: Any = await loadFixture("proxy/endpoints-map-update.json");
const npa: Any = await loadFixture("proxy/util-nodeport-addresses.json");
const prob: Any = await loadFixture("proxy/ipt-compute-probability.json");

describe("chain-name-hashes", () => {
  for (const group of hashes.cases as Any[]) {
    it(group.name, () => {
      for (const v of group.values as Any[]) {
        if (v.chain?.startsWith("KUBE-SVC-"))
          expect(serviceChainName(v.servicePortName, v.protocol)).toBe(v.chain);
        else if (v.chain?.startsWith("KUBE-SEP-"))
          expect(endpointChainName(v.servicePortName, v.protocol, v.endpoint)).toBe(v.chain);
        else if (v.input !== undefined) expect(nftNameBase(v.input)).toBe(v.expected);
        else if (v.servicePortBase !== undefined) {
          const ep = String(v.endpoint);
          const i = ep.lastIndexOf(":");
          const ip = ep.slice(0, i).replace(/^\[|\]$/g, "");
          expect(nftNameBase(nftEndpointName(v.servicePortBase, ip, Number(ep.slice(i + 1))))).toBe(
            v.expected,
          );
        } else throw new Error(`unhandled hash value ${JSON.stringify(v)}`);
      }
    });
  }
});

describe("endpoints-map-update", () => {
  for (const c of epMap.cases as Any[]) {
    it(c.name, () => {
      const p = createProxier({ mode: "iptables", hostname: epMap.proxierConfig.nodeName ?? "test-node" });
      c.steps.forEach((step: Any, si: number) => {
        for (const ch of step.changes ?? []) {
          const ev = toEvent(ch);
          if (ev) p.handle(ev);
        }
        const r = p.sync({ now: si });
        p.applied(r.id, true);
        for (const e of step.expect ?? []) {
          if (e.kind === "endpoints-map") {
            const got: Record<string, Any[]> = {};
            for (const [k, eps] of p.endpointsMap())
              got[k.slice(0, k.lastIndexOf("#"))] = eps.map((x) => ({
                endpoint: x.endpoint,
                isLocal: x.isLocal,
              }));
            const want: Record<string, Any[]> = {};
            for (const [k, eps] of Object.entries(e.value as Record<string, Any[]>))
              want[k] = eps.map((x) => ({ endpoint: x.endpoint, isLocal: x.isLocal }));
            expect(got, `step ${si}`).toEqual(want);
          } else if (e.kind === "conntrack-cleanup-required") {
            expect(r.conntrack.required, `step ${si}`).toBe(e.value);
          } else if (e.kind === "local-ready-endpoints") {
            expect(Object.fromEntries(p.localReadyEndpoints()), `step ${si}`).toEqual(e.value);
          } else throw new Error(`unhandled ${e.kind}`);
        }
      });
    });
  }
});

describe("util-nodeport-addresses", () => {
  for (const c of npa.cases as Any[]) {
    it(c.name, () => {
      for (const step of c.steps as Any[]) {
        let interfaces: Record<string, string[]> = {};
        let cidrs: string[] = [];
        for (const ch of step.changes) {
          if (ch.op === "setInterfaces") interfaces = ch.interfaces;
          else if (ch.op === "newNodePortAddresses") cidrs = ch.cidrs;
        }
        for (const e of step.expect as Any[]) {
          if (e.kind === "nodeport-addresses") {
            const n = newNodePortAddresses(e.family, cidrs);
            expect(n.matchAll, `${e.family} matchAll`).toBe(e.matchAll);
            expect(nodePortIPs(n, interfaces), `${e.family} nodeIPs`).toEqual(e.nodeIPs);
          } else if (e.kind === "function-values") {
            for (const v of e.values as Any[])
              expect(newNodePortAddresses(v.family, cidrs).containsIPv4Loopback, v.family).toBe(v.result);
          } else throw new Error(`unhandled ${e.kind}`);
        }
      }
    });
  }
});

describe("computeProbability", () => {
  it("matches upstream's %0.10f values", () => {
    const e = prob.cases[0].steps[0].expect[0];
    for (const [n, v] of Object.entries(e.values as Record<string, string>))
      expect(computeProbability(Number(n))).toBe(v);
  });
  it("strictly increases as n decreases from 100000 to 2", () => {
    let last = Number(computeProbability(100000));
    const violations: number[] = [];
    for (let n = 99999; n >= 2; n--) {
      const p = Number(computeProbability(n));
      if (!(p > last)) violations.push(n);
      last = p;
    }
    expect(violations).toEqual([]);
  });
});
