/**
 * The nftables proxier: table `ip kube-proxy` (or `ip6`), service dispatch through verdict maps,
 * element-level diffs, transactions proportional to the changed services, stale chains flushed
 * first and deleted in a later transaction (kernels before 6.2 cannot delete them at once).
 */
import type { Backend, BackendSyncInput } from "./backend.ts";
import type { ResolvedConfig } from "./config.ts";
import type { EndpointsChangeTracker } from "./endpoints-change-tracker.ts";
import { portKey } from "./endpoints-change-tracker.ts";
import { parseNftList } from "./nft-plan.ts";
import { type NftModelOp, NftState } from "./nft-state.ts";
import {
  markMasqChain,
  type NftPortObjects,
  nftFamily,
  rejectChain,
  renderNftPort,
} from "./nftables-service-rules.ts";
import { nodePortIPs } from "./nodeport-addresses.ts";
import type { ServiceChangeTracker } from "./service-change-tracker.ts";
import { commonResult, finishText } from "./sync-result.ts";
import type { SyncResult } from "./types.ts";

const mapSpecs = (addrType: string): [string, "set" | "map", string][] => [
  ["cluster-ips", "set", `{ type ${addrType} ; comment "Active ClusterIPs" ; }`],
  [
    "firewall-ips",
    "map",
    `{ type ${addrType} . inet_proto . inet_service : verdict ; comment "destinations that are subject to LoadBalancerSourceRanges" ; }`,
  ],
  [
    "no-endpoint-nodeports",
    "map",
    `{ type inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to service nodeports with no endpoints" ; }`,
  ],
  [
    "no-endpoint-services",
    "map",
    `{ type ${addrType} . inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to services with no endpoints" ; }`,
  ],
  [
    "service-ips",
    "map",
    `{ type ${addrType} . inet_proto . inet_service : verdict ; comment "ClusterIP, ExternalIP and LoadBalancer IP traffic" ; }`,
  ],
  ["service-nodeports", "map", `{ type inet_proto . inet_service : verdict ; comment "NodePort traffic" ; }`],
];
const diffedSets = [
  "cluster-ips",
  "firewall-ips",
  "no-endpoint-nodeports",
  "no-endpoint-services",
  "service-ips",
  "service-nodeports",
];

const baseChains: [string, string][] = [
  ["filter-prerouting-pre-dnat", "{ type filter hook prerouting priority -110 ; }"],
  ["filter-output-pre-dnat", "{ type filter hook output priority -110 ; }"],
  ["filter-forward", "{ type filter hook forward priority 0 ; }"],
  ["filter-input", "{ type filter hook input priority 0 ; }"],
  ["filter-output", "{ type filter hook output priority 0 ; }"],
  ["nat-output", "{ type nat hook output priority -100 ; }"],
  ["nat-postrouting", "{ type nat hook postrouting priority 100 ; }"],
  ["nat-prerouting", "{ type nat hook prerouting priority -100 ; }"],
];
const jumpChains: [string, string, string][] = [
  ["filter-input", "nodeport-endpoints-check", "ct state new"],
  ["filter-input", "service-endpoints-check", "ct state new"],
  ["filter-forward", "service-endpoints-check", "ct state new"],
  ["filter-output", "service-endpoints-check", "ct state new"],
  ["filter-forward", "cluster-ips-check", "ct state new"],
  ["filter-output", "cluster-ips-check", "ct state new"],
  ["filter-prerouting-pre-dnat", "firewall-check", "ct state new"],
  ["filter-output-pre-dnat", "firewall-check", "ct state new"],
  ["nat-output", "services", ""],
  ["nat-prerouting", "services", ""],
  ["nat-postrouting", "masquerading", ""],
];

/** Service chains carry the service name, with a `/`; the fixed chains never do. */
export function isNftServiceChain(name: string): boolean {
  return name.includes("/");
}

interface Pending {
  text: string;
  cleanupText: string;
  /** Model updates: cleanup ops, then the main transaction (prefix ops, setup text, bulk ops). */
  cleanupOps: NftModelOp[];
  prefixOps: NftModelOp[];
  setupText: string;
  ops: NftModelOp[];
  stale: Map<string, number>;
  renders: Map<string, Map<string, NftPortObjects>>;
}

export class NftablesProxier implements Backend {
  readonly #cfg: ResolvedConfig;
  readonly #services: ServiceChangeTracker;
  readonly #endpoints: EndpointsChangeTracker;
  readonly #fam: ReturnType<typeof nftFamily>;
  /** The table as believed to be in the kernel (updated on successful applies). */
  #kernel: NftState;
  #kernelKnown = true;
  #renders = new Map<string, Map<string, NftPortObjects>>();
  /** Chains flushed because unused, with the time they were flushed. */
  #stale = new Map<string, number>();
  #pending = new Map<number, Pending>();
  #noLocal = { internal: 0, external: 0 };

  constructor(cfg: ResolvedConfig, services: ServiceChangeTracker, endpoints: EndpointsChangeTracker) {
    this.#cfg = cfg;
    this.#services = services;
    this.#endpoints = endpoints;
    this.#fam = nftFamily(cfg);
    this.#kernel = new NftState(this.#fam.ipX, "kube-proxy");
  }

  /** The table as the proxier believes the kernel holds it. */
  get kernelState(): NftState {
    return this.#kernel;
  }

  /** Stale chains (flushed, waiting for deletion), sorted. */
  staleChains(): string[] {
    return [...this.#stale.keys()].sort();
  }

  /** Test hook / adapter: pretend stale chains were flushed `ms` earlier. */
  ageStaleChains(ms: number): void {
    for (const [c, t] of this.#stale) this.#stale.set(c, t - ms);
  }

  /**
   * Replaces the believed kernel state (start-up): `nft list table <family> kube-proxy` output, or an
   * `add ...` dump. Rules the kernel prints differently from how kite writes them only cause a rewrite.
   */
  loadKernelState(text: string): void {
    this.#kernel = parseNftList(text, this.#fam.ipX);
    this.#kernelKnown = true;
  }

  #renderService(key: string): Map<string, NftPortObjects> {
    const out = new Map<string, NftPortObjects>();
    for (const svc of this.#services.portsOf(key)) {
      const eps = this.#endpoints.endpointsOf(key, svc.spn, svc.protocol);
      out.set(portKey(svc.spn, svc.protocol), renderNftPort(this.#cfg, svc, eps));
    }
    return out;
  }

  #setupLines(tx: string[]): void {
    const cfg = this.#cfg;
    const { ipX, addrType, noLocalhost } = this.#fam;
    const p = `${ipX} kube-proxy`;
    tx.push(`add table ${p} { comment "rules for kube-proxy" ; }`);
    const created = new Set<string>();
    const ensureChain = (name: string, spec = "") => {
      if (created.has(name)) return;
      created.add(name);
      tx.push(`add chain ${p} ${name}${spec ? ` ${spec}` : ""}`, `flush chain ${p} ${name}`);
    };
    for (const [name, spec] of baseChains) ensureChain(name, spec);
    for (const [src, dst, extra] of jumpChains) {
      ensureChain(dst);
      tx.push(`add rule ${p} ${src} ${extra ? `${extra} ` : ""}jump ${dst}`);
    }
    for (const c of ["services", "cluster-ips-check", "masquerading", markMasqChain]) ensureChain(c);
    const mark = cfg.masqueradeMark;
    tx.push(`add rule ${p} ${markMasqChain} mark set mark or ${mark}`);
    tx.push(`add rule ${p} masquerading mark and ${mark} == 0 return`);
    tx.push(`add rule ${p} masquerading mark set mark xor ${mark}`);
    tx.push(`add rule ${p} masquerading masquerade fully-random`);
    const specs = new Map(mapSpecs(addrType).map(([n, k, s]) => [n, { k, s }]));
    const addSet = (name: string) => {
      const s = specs.get(name)!;
      tx.push(`add ${s.k} ${p} ${name} ${s.s}`);
    };
    addSet("cluster-ips");
    tx.push(
      `add rule ${p} cluster-ips-check ${ipX} daddr @cluster-ips reject comment "Reject traffic to invalid ports of ClusterIPs"`,
    );
    if (cfg.serviceCIDRs.length)
      tx.push(
        `add rule ${p} cluster-ips-check ${ipX} daddr { ${cfg.serviceCIDRs.join(", ")} } drop comment "Drop traffic to unallocated ClusterIPs"`,
      );
    tx.push(`add set ${p} nodeport-ips { type ${addrType} ; comment "IPs that accept NodePort traffic" ; }`);
    const matchAll = cfg.nodePortAddresses.matchAll;
    if (matchAll) tx.push(`delete set ${p} nodeport-ips`);
    else {
      tx.push(`flush set ${p} nodeport-ips`);
      for (const ip of nodePortIPs(cfg.nodePortAddresses, this.#npInterfaces()))
        tx.push(`add element ${p} nodeport-ips { ${ip} }`);
    }
    addSet("no-endpoint-services");
    addSet("no-endpoint-nodeports");
    const npMatch = matchAll ? `fib daddr type local ${noLocalhost}` : `${ipX} daddr @nodeport-ips`;
    ensureChain("nodeport-endpoints-check");
    tx.push(
      `add rule ${p} nodeport-endpoints-check ${npMatch} meta l4proto . th dport vmap @no-endpoint-nodeports`,
    );
    ensureChain("service-endpoints-check");
    tx.push(
      `add rule ${p} service-endpoints-check ${ipX} daddr . meta l4proto . th dport vmap @no-endpoint-services`,
    );
    addSet("firewall-ips");
    ensureChain("firewall-check");
    tx.push(`add rule ${p} firewall-check ${ipX} daddr . meta l4proto . th dport vmap @firewall-ips`);
    addSet("service-ips");
    addSet("service-nodeports");
    tx.push(`add rule ${p} services ${ipX} daddr . meta l4proto . th dport vmap @service-ips`);
    tx.push(`add rule ${p} services ${npMatch} meta l4proto . th dport vmap @service-nodeports`);
    tx.push(
      `add chain ${p} ${rejectChain} { comment "helper for @no-endpoint-services / @no-endpoint-nodeports" ; }`,
    );
    tx.push(`flush chain ${p} ${rejectChain}`);
    tx.push(`add rule ${p} ${rejectChain} reject`);
  }

  #npInterfaces(): Record<string, string[]> {
    const cfg = this.#cfg;
    if (Object.keys(cfg.networkInterfaces).length) return cfg.networkInterfaces;
    return { node: cfg.nodeIPs };
  }

  syncResult(input: BackendSyncInput): SyncResult {
    const p = `${this.#fam.ipX} kube-proxy`;
    const full = input.full;
    const kernel = this.#kernel;
    // A full sync diffs against the table model only at start-up (empty, or loaded with loadKernelState) and
    // after a configuration change; the periodic, forced and post-failure ones rewrite everything in one
    // atomic transaction that starts with `flush table`, repairing any out-of-band change.
    const known =
      this.#kernelKnown && (!full || input.fullReason === "start" || input.fullReason === "config");
    // 2. Render.
    const previous = this.#renders;
    // Partial syncs update the render map in place and remember the changed services' old objects.
    const renders = full ? new Map<string, Map<string, NftPortObjects>>() : previous;
    const changed = full ? new Set(this.#services.services().keys()) : input.changedServices;
    const oldOfChanged = new Map<string, Map<string, NftPortObjects> | undefined>();
    for (const key of full ? [...this.#services.services().keys()].sort() : changed) {
      if (!full) oldOfChanged.set(key, previous.get(key));
      if (this.#services.portsOf(key).length) renders.set(key, this.#renderService(key));
      else renders.delete(key);
    }
    const prevOf = (key: string) => (full ? previous.get(key) : oldOfChanged.get(key));

    // Chains and sets the desired state uses. Chain and set names carry their service's name, so on a
    // partial sync only the changed services' objects can have become stale: look at those alone
    // (O(changed services)).
    const active = new Set<string>();
    const activeAffinity = new Set<string>();
    for (const key of full ? renders.keys() : changed)
      for (const r of renders.get(key)?.values() ?? []) {
        for (const c of r.chains.keys()) active.add(c);
        for (const s of r.affinitySets.keys()) activeAffinity.add(s);
      }

    // 1. Separate transaction: delete chains that have been stale long enough. A stale chain that is
    // in use again is not deleted, so the two transactions never touch the same chain and may be
    // applied in either order (the adapter applies the main one first: it carries the change).
    const stale = new Map(this.#stale);
    const cleanup: string[] = [];
    const cleanupOps: NftModelOp[] = [];
    for (const [c, t] of stale) {
      if (active.has(c)) {
        stale.delete(c);
        continue;
      }
      if (input.now - t >= this.#cfg.staleChainDelayMs) {
        if (kernel.chains.has(c)) {
          cleanup.push(`delete chain ${p} ${c}`);
          cleanupOps.push({ t: "delChain", name: c });
        }
        stale.delete(c);
      }
    }
    const deletedNow = new Set(cleanup.map((l) => l.slice(`delete chain ${p} `.length)));
    const chainExists = (c: string) => kernel.chains.has(c) && !deletedNow.has(c);

    const tx: string[] = [];
    const setupTx: string[] = [];
    const prefixOps: NftModelOp[] = [];
    const ops: NftModelOp[] = [];
    let elementsAdded = 0;
    let elementsDeleted = 0;
    let chainsWritten = 0;
    let chainsDeleted = cleanup.length;
    let rulesWritten = 0;
    if (full) {
      // Unknown kernel state: start from an emptied table (chains and sets stay, their contents go).
      if (!known) {
        tx.push(`add table ${p} { comment "rules for kube-proxy" ; }`, `flush table ${p}`);
        prefixOps.push({ t: "flushTable" });
      }
      this.#setupLines(setupTx);
      for (const l of setupTx) tx.push(l);
    }

    // 3. Elements: diff desired against the kernel (full) or per changed service (partial).
    const wantElements = (keys: Iterable<string>) => {
      const m = new Map<string, Map<string, string>>();
      for (const key of keys)
        for (const r of renders.get(key)?.values() ?? [])
          for (const e of r.elements) {
            let s = m.get(e.set);
            if (!s) {
              s = new Map();
              m.set(e.set, s);
            }
            s.set(e.key, e.body);
          }
      return m;
    };
    // Element additions go after the chains they point at (nft resolves `goto <chain>` while it
    // applies the transaction, in order): collected here, appended after step 4.
    const addTx: string[] = [];
    const addOps: NftModelOp[] = [];
    const elemAdd = (set: string, key: string, body: string) => {
      addTx.push(`add element ${p} ${set} { ${body} }`);
      addOps.push({ t: "elemAdd", set, key, body });
      elementsAdded++;
    };
    const elemDel = (set: string, key: string) => {
      tx.push(`delete element ${p} ${set} { ${key} }`);
      ops.push({ t: "elemDel", set, key });
      elementsDeleted++;
    };
    if (full) {
      const want = wantElements(renders.keys());
      for (const set of diffedSets) {
        const have = known
          ? (kernel.sets.get(set)?.elements ?? new Map<string, string>())
          : new Map<string, string>();
        const w = want.get(set) ?? new Map<string, string>();
        for (const [k, body] of have) {
          const nb = w.get(k);
          if (nb === undefined || nb !== body) elemDel(set, k);
        }
        for (const [k, body] of w) if (have.get(k) !== body) elemAdd(set, k, body);
      }
    } else {
      const oldWant = new Map<string, Map<string, string>>();
      for (const key of changed)
        for (const r of prevOf(key)?.values() ?? [])
          for (const e of r.elements) {
            let s = oldWant.get(e.set);
            if (!s) {
              s = new Map();
              oldWant.set(e.set, s);
            }
            s.set(e.key, e.body);
          }
      const want = wantElements(changed);
      for (const set of diffedSets) {
        const o = oldWant.get(set) ?? new Map<string, string>();
        const w = want.get(set) ?? new Map<string, string>();
        for (const [k, body] of o) if (w.get(k) !== body) elemDel(set, k);
        for (const [k, body] of w) if (o.get(k) !== body) elemAdd(set, k, body);
      }
    }

    // 4. Chains of changed services (all services on a full sync).
    const written = new Set<string>();
    for (const key of changed) {
      for (const r of renders.get(key)?.values() ?? []) {
        for (const [name, spec] of r.affinitySets) {
          tx.push(`add set ${p} ${name} ${spec}`);
          ops.push({ t: "addSet", name, spec });
        }
        for (const [name, rules] of r.chains) {
          if (written.has(name)) continue;
          // On a full sync, an endpoint chain already in the kernel with the same rules is left alone.
          // kite's minimal partial form leaves out every chain the kernel already holds unchanged.
          const skippable = full
            ? known && r.endpointChains.has(name)
            : this.#cfg.partialSyncForm === "minimal";
          if (skippable && chainExists(name) && !stale.has(name)) {
            const have = kernel.chains.get(name)!.rules;
            if (have.length === rules.length && have.every((x, i) => x === rules[i])) continue;
          }
          written.add(name);
          tx.push(`add chain ${p} ${name}`, `flush chain ${p} ${name}`);
          for (const rule of rules) tx.push(`add rule ${p} ${name} ${rule}`);
          ops.push({ t: "writeChain", name, rules });
          chainsWritten++;
          rulesWritten += rules.length;
        }
      }
    }
    for (const l of addTx) tx.push(l);
    for (const o of addOps) ops.push(o);
    // 5. Stale chains: flush now, delete later. Stale affinity sets go at once.
    const candidates = new Set<string>();
    if (full) {
      for (const c of kernel.chains.keys()) if (isNftServiceChain(c) && !deletedNow.has(c)) candidates.add(c);
    } else {
      for (const key of changed)
        for (const r of prevOf(key)?.values() ?? []) for (const c of r.chains.keys()) candidates.add(c);
    }
    for (const c of candidates) {
      if (active.has(c)) {
        stale.delete(c);
        continue;
      }
      if (!stale.has(c) && (chainExists(c) || written.has(c) || !full)) {
        tx.push(`flush chain ${p} ${c}`);
        ops.push({ t: "flushChain", name: c });
        stale.set(c, input.now);
      }
    }
    const affinityCandidates = full
      ? [...kernel.sets.keys()].filter((s) => s.startsWith("affinity-"))
      : this.#affinityOfChanged(prevOf, changed);
    for (const s of affinityCandidates)
      if (kernel.sets.has(s) && !activeAffinity.has(s)) {
        tx.push(`delete set ${p} ${s}`);
        ops.push({ t: "delSet", name: s });
        chainsDeleted++;
      }
    for (const c of stale.keys()) if (active.has(c)) stale.delete(c);

    const sum = (
      ports: Map<string, NftPortObjects> | undefined,
      k: "noLocalInternal" | "noLocalExternal",
    ) => {
      let n = 0;
      for (const r of ports?.values() ?? []) n += r[k];
      return n;
    };
    let noLocalInternal = full ? 0 : this.#noLocal.internal;
    let noLocalExternal = full ? 0 : this.#noLocal.external;
    for (const key of changed) {
      noLocalInternal +=
        sum(renders.get(key), "noLocalInternal") - (full ? 0 : sum(prevOf(key), "noLocalInternal"));
      noLocalExternal +=
        sum(renders.get(key), "noLocalExternal") - (full ? 0 : sum(prevOf(key), "noLocalExternal"));
    }
    this.#noLocal = { internal: noLocalInternal, external: noLocalExternal };
    const text = tx.length ? `${tx.join("\n")}\n` : "";
    const cleanupText = cleanup.length ? `${cleanup.join("\n")}\n` : "";
    this.#pending.clear();
    this.#pending.set(input.id, {
      text,
      cleanupText,
      cleanupOps,
      prefixOps,
      setupText: setupTx.length ? `${setupTx.join("\n")}\n` : "",
      ops,
      stale,
      renders,
    });
    // Renders are the desired state from now on (a failure makes the next sync full anyway).
    this.#renders = renders;
    const r = commonResult(input, this.#services, this.#endpoints, "nftables");
    r.cleanupText = cleanupText;
    r.counts.chainsWritten = chainsWritten;
    r.counts.chainsDeleted = chainsDeleted;
    r.counts.rulesWritten = rulesWritten;
    r.counts.elementsAdded = elementsAdded;
    r.counts.elementsDeleted = elementsDeleted;
    r.noLocalEndpoints = { internal: noLocalInternal, external: noLocalExternal };
    const result = finishText(r, text);
    result.empty = text === "" && cleanupText === "";
    return result;
  }

  #affinityOfChanged(
    prevOf: (key: string) => Map<string, NftPortObjects> | undefined,
    changed: Set<string>,
  ): Set<string> {
    const out = new Set<string>();
    for (const key of changed)
      for (const r of prevOf(key)?.values() ?? []) for (const s of r.affinitySets.keys()) out.add(s);
    return out;
  }

  committed(id: number): void {
    const pend = this.#pending.get(id);
    if (!pend) return;
    this.#pending.delete(id);
    try {
      this.#kernel.applyOps(pend.cleanupOps);
      this.#kernel.applyOps(pend.prefixOps);
      if (pend.setupText) this.#kernel.applyTransaction(pend.setupText, { trusted: true });
      this.#kernel.applyOps(pend.ops);
      this.#kernelKnown = true;
    } catch {
      this.#kernelKnown = false;
    }
    this.#stale = pend.stale;
  }

  failed(id: number): void {
    this.#pending.delete(id);
    this.#kernelKnown = false;
  }
}
