/** Every nftables fixture case (../shared/fixtures/proxy/nft-*.json) through the public API. */

import { loadFixtureFiles } from "../../test/fixtures.ts";
import { describe, expect, it } from "../../test/harness.ts";
import { createProxier, type Proxier } from "./mod.ts";
import { NftState, sortNftLines } from "./nft-state.ts";
import type { NftablesProxier } from "./nftables-proxier.ts";
import { toConfig, toEvent } from "./test-support/neutral.ts";
import { traceNft } from "./test-support/nft-trace.ts";

// biome-ignore lint/suspicious/noExplicitAny: fixture JSON
type Any = any;

const files = (await loadFixtureFiles("proxy")).filter((f) => f.name.startsWith("proxy/nft-"));

function setupOps(pc: Any): number {
  const p = createProxier(toConfig("nftables", pc));
  const r = p.sync({ now: 0 });
  return r.text.split("\n").filter((l) => l.trim() !== "").length;
}

describe("nftables fixtures", () => {
  it("found the fixture files", () => {
    expect(files.length).toBeGreaterThan(0);
  });
  for (const file of files) {
    const data = file.data as Any;
    for (const c of data.cases as Any[]) it(`${data.id}: ${c.name}`, () => runCase(data, c));
  }
});

function runCase(data: Any, c: Any): void {
  const pc = { ...data.proxierConfig, ...(c.proxierConfigOverrides ?? {}) };
  if (!pc.nodePortAddresses) pc.nodePortAddresses = ["192.168.0.2/32", "2001:db8::1/128"];
  const proxier: Proxier = createProxier(toConfig("nftables", pc));
  const backend = proxier.backend as NftablesProxier;
  const family = pc.ipFamily === "IPv6" ? "ip6" : "ip";
  const kernel = new NftState(family, "kube-proxy");
  if (c.initialKernelState?.text) {
    kernel.applyTransaction(c.initialKernelState.text);
    backend.loadKernelState(c.initialKernelState.text);
  }
  let now = 1_000_000;
  const metrics = new Map<string, number>();
  c.steps.forEach((step: Any, si: number) => {
    now += 10;
    const label = `step ${si}`;
    if (step.stateBeforeSync?.ageStaleChains) backend.ageStaleChains(2000);
    for (const ch of step.changes ?? []) {
      const ev = toEvent(ch);
      if (ev) proxier.handle(ev);
      else if (ch.op === "serviceCIDRsChanged") proxier.setServiceCIDRs(ch.value ?? []);
    }
    if (step.sync === "none") {
      for (const e of step.expect ?? []) {
        if (e.kind === "proxier-state" && e.field === "serviceCIDRs")
          expect(proxier.config.serviceCIDRs.join(","), label).toBe(e.value);
        else throw new Error(`unhandled ${e.kind}`);
      }
      return;
    }
    const result = proxier.sync({ now, forceFull: step.sync === "forceFullSync" });
    if (result.cleanupText) kernel.applyTransaction(result.cleanupText);
    kernel.applyTransaction(result.text);
    proxier.applied(result.id, true);
    metrics.set("internal", result.noLocalEndpoints.internal);
    metrics.set("external", result.noLocalEndpoints.external);
    for (const e of step.expect ?? []) {
      switch (e.kind) {
        case "nftables-state":
          expect(sortNftLines(kernel.dump()), label).toBe(sortNftLines(e.text));
          break;
        case "nftables-op-count": {
          const ops = result.text.split("\n").filter((l) => l.trim() !== "").length;
          const want =
            typeof e.value === "number"
              ? e.value
              : setupOps(pc) + Number(String(e.value).replace(/^setupOps \+ /, ""));
          expect(ops, label).toBe(want);
          break;
        }
        case "stale-chains":
          expect(backend.staleChains(), label).toEqual(e.value);
          break;
        case "map-element-exists": {
          const key = (e.key as string[]).join(" . ");
          expect(kernel.sets.get(e.map)?.elements.has(key) ?? false, label).toBe(e.value);
          break;
        }
        case "metric":
          expect(metrics.get(e.labels.traffic_policy), `${label} ${e.name}`).toBe(e.value);
          break;
        case "packet-flows":
          for (const f of e.flows) {
            const got = traceNft(kernel, pc.localAddresses ?? [], f);
            expect({ flow: f.name, output: got.output, masq: got.masq }, label).toEqual({
              flow: f.name,
              output: f.output,
              masq: f.masq,
            });
          }
          break;
        default:
          throw new Error(`unhandled expectation kind ${e.kind}`);
      }
    }
  });
}
