/** Every IPVS fixture case (../shared/fixtures/proxy/ipvs-*.json) through the public API. */

import { loadFixtureFiles } from "../../test/fixtures.ts";
import { describe, expect, it } from "../../test/harness.ts";
import type { IpvsProxier } from "./ipvs-proxier.ts";
import {
  applyIpvsOps,
  canUseIPVS,
  createProxier,
  diffIpvs,
  emptyIpvsState,
  filterCIDRs,
  type IpvsState,
  ipvsFilterChains,
  ipvsNatChains,
  ipvsNodeIPs,
  isValidForSet,
  type VirtualServer,
  vsKey,
} from "./mod.ts";
import { toConfig, toEvent } from "./test-support/neutral.ts";

// biome-ignore lint/suspicious/noExplicitAny: fixture JSON
type Any = any;

const files = (await loadFixtureFiles("proxy")).filter((f) => f.name.startsWith("proxy/ipvs-"));

describe("ipvs fixtures", () => {
  it("found the fixture files", () => {
    expect(files.length).toBeGreaterThan(0);
  });
  for (const file of files) {
    const data = file.data as Any;
    for (const c of data.cases as Any[]) it(`${data.id}: ${c.name}`, () => runCase(data, c));
  }
});

function toVS(v: Any): VirtualServer {
  return {
    address: v.address,
    port: v.port,
    protocol: v.protocol,
    scheduler: v.scheduler ?? "rr",
    flags: (v.flags ?? []).filter((f: string) => f !== "FlagHashed"),
    timeout: v.timeout ?? 0,
  };
}

function entryString(e: Any): string {
  if (e.setType === "bitmap:port") return String(e.port);
  let s = `${e.ip},${e.protocol}:${e.port}`;
  if (e.net) s += `,${e.net}`;
  if (e.ip2) s += `,${e.ip2}`;
  return s;
}

function parseChains(text: string): Map<string, string[]> {
  // nat rules first, then filter rules, under the chain name
  const out = new Map<string, string[]>();
  const tables: Record<string, string[]> = { nat: [], filter: [] };
  let cur: string[] | undefined;
  for (const l of text.split("\n")) {
    if (l.startsWith("*")) cur = tables[l.slice(1)];
    else if (l.startsWith("-A ")) cur?.push(l);
  }
  for (const l of [...(tables.nat ?? []), ...(tables.filter ?? [])]) {
    const c = l.split(" ")[1]!;
    out.set(c, [...(out.get(c) ?? []), l]);
  }
  return out;
}

function runCase(data: Any, c: Any): void {
  const pc = { ...data.proxierConfig, ...(c.proxierConfigOverrides ?? {}) };
  if (pc.nodeIPs && !pc.networkInterfaces) pc.networkInterfaces = { eth0: pc.nodeIPs };
  if (Array.isArray(pc.nodePortAddresses) && pc.nodePortAddresses.length === 0) pc.nodePortAddresses = null;
  const cfg = toConfig("ipvs", pc);
  cfg.nodeIPs = [];
  const proxier = createProxier(cfg);
  const backend = proxier.backend as IpvsProxier;
  let kernel: IpvsState = emptyIpvsState();
  let iptables = "";
  const presets = new Map<string, VirtualServer>();
  let interfaces: { ipv6: boolean; devAddresses: Record<string, string[]> } | undefined;
  let probe: Any;
  let now = 0;
  for (const [si, step] of (c.steps as Any[]).entries()) {
    const label = `step ${si}`;
    now += 1000;
    for (const ch of step.changes ?? []) {
      const ev = toEvent(ch);
      if (ev) {
        proxier.handle(ev);
        continue;
      }
      switch (ch.op) {
        case "presetVirtualServer":
          if (ch.value) kernel = applyIpvsOps(kernel, [{ op: "add-vs", vs: toVS(ch.value) }]);
          break;
        case "presetVirtualServers":
          for (const [name, v] of Object.entries(ch.value as Record<string, Any>)) {
            presets.set(name, toVS(v));
            kernel = applyIpvsOps(kernel, [{ op: "add-vs", vs: toVS(v) }]);
          }
          break;
        case "presetRealServer":
          kernel = applyIpvsOps(kernel, [{ op: "add-rs", vs: presets.get(ch.virtualServer)!, rs: ch.value }]);
          break;
        case "syncService": {
          // One virtual server reconciled: desired = observed with this VS replaced/added.
          const want = toVS(ch.virtualServer);
          const desired: IpvsState = { ...kernel, virtualServers: new Map(kernel.virtualServers) };
          desired.virtualServers.set(vsKey(want), want);
          kernel = applyIpvsOps(kernel, diffIpvs(kernel, desired, { cleanLegacy: false }));
          break;
        }
        case "cleanLegacyService": {
          const desired = emptyIpvsState();
          for (const n of ch.activeServices as string[]) {
            const vs = presets.get(n)!;
            desired.virtualServers.set(vsKey(vs), vs);
            desired.realServers.set(vsKey(vs), kernel.realServers.get(vsKey(vs)) ?? []);
          }
          kernel = applyIpvsOps(
            kernel,
            diffIpvs(kernel, desired, { excludeCIDRs: cfg.ipvs?.excludeCIDRs ?? [] }),
          );
          break;
        }
        case "externalIPVSMutation":
          for (const rs of kernel.realServers.get("10.20.30.41:80/TCP") ?? []) rs.weight = 0;
          break;
        case "setProxierState":
          break;
        case "setInterfaces":
          interfaces = ch;
          break;
        case "probe":
          probe = ch;
          break;
        default:
          throw new Error(`unhandled op ${ch.op}`);
      }
    }
    if (step.sync !== "none" && step.sync !== "createAndLinkKubeChain") {
      // The fake IPVS of upstream's tests reports no connections on any real server.
      for (const list of kernel.realServers.values())
        for (const rs of list) {
          rs.activeConn = 0;
          rs.inactiveConn = 0;
        }
      const r = proxier.sync({ now, observedIpvs: kernel });
      proxier.applied(r.id, true);
      kernel = backend.believed;
      if (r.ipvs?.iptablesRestore) iptables = r.ipvs.iptablesRestore;
    }
    const chains = parseChains(iptables);
    for (const e of step.expect ?? []) {
      switch (e.kind) {
        case "ipvs-state": {
          const got = [...kernel.virtualServers.entries()]
            .map(([key, vs]) => ({
              key,
              address: vs.address,
              port: vs.port,
              protocol: vs.protocol,
              scheduler: vs.scheduler,
              realServers: (kernel.realServers.get(key) ?? []).map((r) => ({
                address: r.address,
                port: r.port,
                weight: r.weight,
              })),
            }))
            .sort((a, b) => (a.key < b.key ? -1 : 1));
          const want = (e.virtualServers as Any[])
            .map((v) => ({
              key: v.key,
              address: v.address,
              port: v.port,
              protocol: v.protocol,
              scheduler: v.scheduler,
              realServers: v.realServers.map((r: Any) => ({
                address: r.address,
                port: r.port,
                weight: r.weight,
              })),
            }))
            .sort((a, b) => (a.key < b.key ? -1 : 1));
          expect(got, label).toEqual(want);
          break;
        }
        case "ipvs-virtual-server-count":
          expect(kernel.virtualServers.size, label).toBe(e.value);
          break;
        case "ipvs-virtual-server-check": {
          expect(kernel.virtualServers.size, label).toBe(e.count);
          if (e.virtualServer) {
            const key = vsKey(e.virtualServer);
            if (kernel.virtualServers.has(key)) {
              const rs = kernel.realServers.get(key) ?? [];
              expect(rs.length, label).toBe(e.virtualServer.realServers.length);
              if (rs.length === 1)
                expect({ address: rs[0]!.address, port: rs[0]!.port }, label).toEqual({
                  address: e.virtualServer.realServers[0].address,
                  port: e.virtualServer.realServers[0].port,
                });
            }
          }
          break;
        }
        case "ipvs-real-servers": {
          const rs = kernel.realServers.get(e.virtualServer) ?? [];
          if (e.realServers.length && typeof e.realServers[0] === "string")
            expect(
              rs.map((r) => `${r.address}:${r.port}`),
              label,
            ).toEqual(e.realServers);
          else
            expect(
              rs.map((r) => ({ address: r.address, port: r.port, weight: r.weight })),
              label,
            ).toEqual(
              e.realServers.map((r: Any) => ({ address: r.address, port: r.port, weight: r.weight ?? 1 })),
            );
          break;
        }
        case "ipvs-virtual-servers-exact":
          expect(
            [...kernel.virtualServers.values()].map((v) => ({ ...v, timeout: undefined })),
            label,
          ).toEqual((e.value as Any[]).map((v) => ({ ...toVS(v), timeout: undefined })));
          break;
        case "ipvs-virtual-servers-remaining":
          expect(kernel.virtualServers.size, label).toBe(e.count);
          expect([...kernel.virtualServers.keys()].sort(), label).toEqual(
            (e.remaining as string[]).map((n) => vsKey(presets.get(n)!)).sort(),
          );
          break;
        case "ipset-entries":
          for (const [name, entries] of Object.entries(e.sets as Record<string, Any[]>))
            expect([...(kernel.ipsets.get(name)?.entries ?? [])].sort(), `${label} ${name}`).toEqual(
              entries.map(entryString).sort(),
            );
          break;
        case "ipset-active-entries":
          expect([...(backend.desired.ipsets.get(e.set)?.entries ?? [])].sort(), `${label} ${e.set}`).toEqual(
            [...e.value].sort(),
          );
          break;
        case "ipvs-iptables-chains":
          for (const [chain, rules] of Object.entries(e.chains as Record<string, Any[]>)) {
            const got = (chains.get(chain) ?? []).map((r) => ({
              jump: / -j (\S+)/.exec(r)?.[1] ?? "",
              matchSet: / --match-set (\S+)/.exec(r)?.[1] ?? "",
            }));
            expect(got, `${label} ${chain}`).toEqual(
              rules.map((x) => ({ jump: x.jump, matchSet: x.matchSet })),
            );
          }
          break;
        case "iptables-chain-declarations": {
          const list = e.table === "nat" ? ipvsNatChains : ipvsFilterChains;
          expect(list.map((c) => `:${c} - [0:0]\n`).join(""), label).toBe(e.text);
          break;
        }
        case "dummy-device-addresses":
          expect([...kernel.boundAddresses].sort(), label).toEqual([...e.value].sort());
          break;
        case "node-ips":
          expect(
            ipvsNodeIPs(interfaces!.ipv6 ? "IPv6" : "IPv4", interfaces!.devAddresses).sort(),
            label,
          ).toEqual([...e.value].sort());
          break;
        case "can-use-ipvs":
          expect(
            canUseIPVS({
              ipsetVersion: probe.ipsetVersion,
              ipsetVersionError: probe.ipsetVersionError,
              probeError: probe.ipvsFailingCall ? `${probe.ipvsFailingCall} failed` : null,
            }),
            label,
          ).toBe(e.value);
          break;
        case "function-values":
          for (const v of e.values as Any[]) {
            if (e.function.startsWith("filterCIDRs"))
              expect(filterCIDRs(v.args[0], v.args[1]), label).toEqual(v.result);
            else expect(isValidForSet(v.args[0], v.args[1]), `${label} ${v.args}`).toBe(v.result);
          }
          break;
        default:
          throw new Error(`unhandled expectation kind ${e.kind}`);
      }
    }
  }
}
