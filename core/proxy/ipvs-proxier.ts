/**
 * The IPVS proxier: computes the desired IPVS state each sync and diffs it against the observed
 * state (given by the adapter) or, failing that, against what it last applied.
 */
import type { Backend, BackendSyncInput } from "./backend.ts";
import type { ResolvedConfig } from "./config.ts";
import type { EndpointsChangeTracker } from "./endpoints-change-tracker.ts";
import { computeIpvsDesired } from "./ipvs-desired.ts";
import { applyIpvsOps, diffIpvs, type IpvsOp, renderIpvsOps } from "./ipvs-diff.ts";
import { emptyIpvsState, type IpvsState, withObservedConnections } from "./ipvs-state.ts";
import type { ServiceChangeTracker } from "./service-change-tracker.ts";
import { commonResult, finishText } from "./sync-result.ts";
import type { SyncResult } from "./types.ts";

export class IpvsProxier implements Backend {
  readonly #cfg: ResolvedConfig;
  readonly #services: ServiceChangeTracker;
  readonly #endpoints: EndpointsChangeTracker;
  #believed: IpvsState = emptyIpvsState();
  #lastIptables = "";
  #pending = new Map<number, { ops: IpvsOp[]; base: IpvsState; iptables: string }>();
  /** The state the last sync wanted (tests, plan). */
  desired: IpvsState = emptyIpvsState();

  constructor(cfg: ResolvedConfig, services: ServiceChangeTracker, endpoints: EndpointsChangeTracker) {
    this.#cfg = cfg;
    this.#services = services;
    this.#endpoints = endpoints;
  }

  /** What the proxier believes the kernel holds. */
  get believed(): IpvsState {
    return this.#believed;
  }

  syncResult(input: BackendSyncInput): SyncResult {
    const desired = computeIpvsDesired(this.#cfg, this.#services, this.#endpoints);
    this.desired = desired.state;
    const base =
      input.observedIpvs ??
      (input.observedIpvsConnections
        ? withObservedConnections(this.#believed, input.observedIpvsConnections)
        : this.#believed);
    const ops = diffIpvs(base, desired.state, {
      excludeCIDRs: this.#cfg.excludeCIDRs,
      family: this.#cfg.family,
    });
    const rendered = renderIpvsOps(ops, this.#cfg.family);
    const iptables =
      input.full || desired.iptablesRestore !== this.#lastIptables ? desired.iptablesRestore : "";
    this.#pending.clear();
    this.#pending.set(input.id, { ops, base, iptables: desired.iptablesRestore });
    const r = commonResult(input, this.#services, this.#endpoints, "ipvs");
    r.ipvs = { commands: rendered.commands, ipsetRestore: rendered.ipsetRestore, iptablesRestore: iptables };
    r.noLocalEndpoints = { internal: desired.noLocalInternal, external: desired.noLocalExternal };
    let vsChanged = 0;
    let rsChanged = 0;
    for (const o of ops) {
      if (o.op === "add-vs" || o.op === "edit-vs" || o.op === "del-vs") vsChanged++;
      else if (o.op === "add-rs" || o.op === "edit-rs" || o.op === "del-rs") rsChanged++;
      else if (o.op === "ipset-add") r.counts.elementsAdded++;
      else if (o.op === "ipset-del") r.counts.elementsDeleted++;
    }
    r.counts.chainsWritten = vsChanged;
    r.counts.rulesWritten = rsChanged;
    const text = rendered.commands.length ? `${rendered.commands.join("\n")}\n` : "";
    const result = finishText(r, text);
    result.empty = text === "" && rendered.ipsetRestore === "" && iptables === "";
    return result;
  }

  committed(id: number): void {
    const p = this.#pending.get(id);
    if (!p) return;
    this.#pending.delete(id);
    this.#believed = applyIpvsOps(p.base, p.ops);
    this.#lastIptables = p.iptables;
  }

  failed(id: number): void {
    this.#pending.delete(id);
    this.#lastIptables = "";
  }
}
