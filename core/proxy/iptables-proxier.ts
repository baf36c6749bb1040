/**
 * The iptables proxier: keeps the rendered rules of every service port, and per sync writes
 * a full restore input, upstream's partial form, or kite's minimal form (only changed chains;
 * rule-level edits for the big shared chains).
 */
import type { Backend, BackendSyncInput } from "./backend.ts";
import type { ResolvedConfig } from "./config.ts";
import type { EndpointsChangeTracker } from "./endpoints-change-tracker.ts";
import { portKey } from "./endpoints-change-tracker.ts";
import { isServiceChainName, type PortRules, renderPortRules } from "./iptables-service-rules.ts";
import { nodePortIPs } from "./nodeport-addresses.ts";
import type { ServiceChangeTracker } from "./service-change-tracker.ts";
import { commonResult, finishText } from "./sync-result.ts";
import type { SyncResult } from "./types.ts";

export interface IptablesSyncInput {
  full: boolean;
  changedServices: Set<string>;
  now: number;
  /** Existing nat chains from iptables-save, when the caller has them. */
  existingNatChains?: readonly string[];
}

export interface IptablesSyncOutput {
  text: string;
  chainsWritten: number;
  chainsDeleted: number;
  rulesWritten: number;
  natRulesWritten: number;
  filterRulesWritten: number;
  natRulesTotal: number;
  filterRulesTotal: number;
  noLocalInternal: number;
  noLocalExternal: number;
  /** Chains written and deleted, for bookkeeping after a successful apply. */
  deleted: string[];
  written: string[];
}

const filterStaticChains = [
  "KUBE-SERVICES",
  "KUBE-EXTERNAL-SERVICES",
  "KUBE-FORWARD",
  "KUBE-NODEPORTS",
  "KUBE-PROXY-FIREWALL",
];
const natStaticChains = ["KUBE-SERVICES", "KUBE-NODEPORTS", "KUBE-POSTROUTING", "KUBE-MARK-MASQ"];
/** Shared chains that are edited rule by rule in the minimal form. */
const ruleEditedChains = new Set([
  "filter KUBE-SERVICES",
  "filter KUBE-EXTERNAL-SERVICES",
  "filter KUBE-NODEPORTS",
  "filter KUBE-PROXY-FIREWALL",
  "nat KUBE-SERVICES",
  "nat KUBE-NODEPORTS",
]);

export class IptablesProxier implements Backend {
  readonly #cfg: ResolvedConfig;
  readonly #services: ServiceChangeTracker;
  readonly #endpoints: EndpointsChangeTracker;
  /** serviceKey → portKey → rendered rules */
  #renders = new Map<string, Map<string, PortRules>>();
  #largeClusterMode = false;
  /** nat per-service chains believed present in the kernel. */
  #knownNatChains = new Set<string>();
  /** Shared chain ("table chain") → its rules as last written (minimal form). */
  #sharedLast = new Map<string, string[]>();
  #lastCleanup = Number.NEGATIVE_INFINITY;
  #natRulesTotal = 0;
  #filterRulesTotal = 0;

  constructor(cfg: ResolvedConfig, services: ServiceChangeTracker, endpoints: EndpointsChangeTracker) {
    this.#cfg = cfg;
    this.#services = services;
    this.#endpoints = endpoints;
  }

  get largeClusterMode(): boolean {
    return this.#largeClusterMode;
  }

  /** Forget the kernel state (after a failed restore the next sync is full). */
  invalidateShared(): void {
    this.#sharedLast.clear();
  }

  /** Marks a successful apply: the chains written exist, the deleted ones are gone. */
  commit(out: IptablesSyncOutput): void {
    for (const c of out.deleted) this.#knownNatChains.delete(c);
    for (const c of out.written) this.#knownNatChains.add(c);
  }

  #outputs = new Map<number, IptablesSyncOutput>();

  syncResult(input: BackendSyncInput): SyncResult {
    const out = this.sync({
      full: input.full,
      changedServices: input.changedServices,
      now: input.now,
      ...(input.existingNatChains ? { existingNatChains: input.existingNatChains } : {}),
    });
    this.#outputs.clear();
    this.#outputs.set(input.id, out);
    const r = commonResult(input, this.#services, this.#endpoints, "iptables");
    r.counts.chainsWritten = out.chainsWritten;
    r.counts.chainsDeleted = out.chainsDeleted;
    r.counts.rulesWritten = out.rulesWritten;
    r.noLocalEndpoints = { internal: out.noLocalInternal, external: out.noLocalExternal };
    r.iptablesRulesLast = { filter: out.filterRulesWritten, nat: out.natRulesWritten };
    r.iptablesRulesTotal = { filter: out.filterRulesTotal, nat: out.natRulesTotal };
    return finishText(r, out.text);
  }

  committed(id: number): void {
    const out = this.#outputs.get(id);
    if (out) this.commit(out);
    this.#outputs.delete(id);
  }

  failed(id: number): void {
    this.#outputs.delete(id);
    this.invalidateShared();
  }

  /** Overrides the believed lastIPTablesCleanup (tests / adapter). */
  setLastCleanup(t: number): void {
    this.#lastCleanup = t;
  }

  #renderService(key: string): Map<string, PortRules> {
    const out = new Map<string, PortRules>();
    for (const svc of this.#services.portsOf(key)) {
      const eps = this.#endpoints.endpointsOf(key, svc.spn, svc.protocol);
      out.set(
        portKey(svc.spn, svc.protocol),
        renderPortRules(this.#cfg, svc, eps, { largeClusterMode: this.#largeClusterMode }),
      );
    }
    return out;
  }

  sync(input: IptablesSyncInput): IptablesSyncOutput {
    const cfg = this.#cfg;
    let totalEndpoints = 0;
    for (const ports of this.#endpoints.all().values())
      for (const eps of ports.values()) totalEndpoints += eps.length;
    const large = totalEndpoints > cfg.largeClusterEndpointsThreshold;
    const rerenderAll = input.full || large !== this.#largeClusterMode;
    const oldOfChanged = new Map<string, Map<string, PortRules> | undefined>();
    this.#largeClusterMode = large;
    const changed = input.changedServices;
    const previous = this.#renders;
    let renders: Map<string, Map<string, PortRules>>;
    if (rerenderAll) {
      renders = new Map();
      for (const key of [...this.#services.services().keys()].sort())
        renders.set(key, this.#renderService(key));
    } else {
      renders = previous;
      for (const key of changed) {
        oldOfChanged.set(key, renders.get(key));
        if (this.#services.portsOf(key).length) renders.set(key, this.#renderService(key));
        else renders.delete(key);
      }
    }
    this.#renders = renders;
    const form = input.full ? "full" : cfg.partialSyncForm;

    // Shared chains, assembled from every port's share — or, when no changed service touched them,
    // reused as they were (keeps a one-endpoint change O(changed services)).
    let assembled = this.#sharedCache;
    if (assembled && !rerenderAll && sharedUnchanged(oldOfChanged, renders)) {
      for (const [key, old] of oldOfChanged) {
        const cur = renders.get(key);
        assembled.natPerServiceRules += countPerService(cur) - countPerService(old);
        assembled.noLocalInternal += sumOf(cur, "noLocalInternal") - sumOf(old, "noLocalInternal");
        assembled.noLocalExternal += sumOf(cur, "noLocalExternal") - sumOf(old, "noLocalExternal");
      }
    } else {
      assembled = this.#assembleShared(renders);
    }
    this.#sharedCache = assembled;
    const { shared, natPerServiceRules, noLocalInternal, noLocalExternal } = assembled;

    // Which per-service chains to write, and which are stale.
    const filterLines: string[] = [];
    const filterChainLines: string[] = [];
    const natChainLines: string[] = [];
    const natLines: string[] = [];
    const natTail: string[] = [];
    const written: string[] = [];
    const deleted: string[] = [];
    let filterRulesWritten = 0;
    let natRulesWritten = 0;

    const writeShared = (
      table: "filter" | "nat",
      chains: Map<string, string[]>,
      chainOut: string[],
      ruleOut: string[],
    ) => {
      let count = 0;
      for (const [chain, rules] of chains) {
        const id = `${table} ${chain}`;
        const last = this.#sharedLast.get(id);
        if (form === "minimal" && last) {
          if (sameLines(last, rules)) continue;
          if (ruleEditedChains.has(id)) {
            const edits = ruleEdits(chain, last, rules, table === "nat" && chain === "KUBE-SERVICES");
            if (edits) {
              for (const l of edits) ruleOut.push(l);
              count += edits.length;
              continue;
            }
          }
        }
        chainOut.push(`:${chain} - [0:0]`);
        for (const l of rules) ruleOut.push(l);
        count += rules.length;
      }
      return count;
    };
    filterRulesWritten += writeShared("filter", shared.filter, filterChainLines, filterLines);
    natRulesWritten += writeShared("nat", shared.nat, natChainLines, natLines);
    for (const [table, chains] of [
      ["filter", shared.filter],
      ["nat", shared.nat],
    ] as const)
      for (const [chain, rules] of chains) this.#sharedLast.set(`${table} ${chain}`, rules);

    const writeChain = (chain: string, rules: string[]) => {
      natChainLines.push(`:${chain} - [0:0]`);
      for (const l of rules) natLines.push(l);
      natRulesWritten += rules.length;
      written.push(chain);
    };
    const deleteChain = (chain: string) => {
      natChainLines.push(`:${chain} - [0:0]`);
      natTail.push(`-X ${chain}`);
      deleted.push(chain);
    };
    const cleanupAllowed = !large || input.now - this.#lastCleanup > cfg.syncPeriodMs;
    if (form === "full" || rerenderAll) {
      const active = new Set<string>();
      for (const [key, ports] of renders)
        for (const r of ports.values())
          for (const [chain, rules] of r.natChains) {
            active.add(chain);
            const write =
              form === "full" ||
              (form === "upstream" ? changed.has(key) : !sameChain(previous.get(key), chain, rules));
            if (write) writeChain(chain, rules);
          }
      if (cleanupAllowed) {
        const existing = input.existingNatChains ?? [...this.#knownNatChains];
        for (const c of existing) if (isServiceChainName(c) && !active.has(c)) deleteChain(c);
        this.#pendingStale.clear();
        this.#lastCleanup = input.now;
      }
    } else {
      const staleCandidates = new Set<string>();
      for (const key of changed) {
        const now = renders.get(key);
        const old = this.#oldChainsOf.get(key);
        const nowChains = new Set<string>();
        if (now)
          for (const r of now.values())
            for (const [chain, rules] of r.natChains) {
              nowChains.add(chain);
              if (form === "upstream" || !old?.has(chain) || !sameLines(old.get(chain)!, rules))
                writeChain(chain, rules);
            }
        if (old) for (const c of old.keys()) if (!nowChains.has(c)) staleCandidates.add(c);
      }
      if (cleanupAllowed || form === "minimal") {
        const existing = input.existingNatChains;
        if (existing) {
          const active = new Set<string>();
          for (const ports of renders.values())
            for (const r of ports.values()) for (const c of r.natChains.keys()) active.add(c);
          for (const c of existing) if (isServiceChainName(c) && !active.has(c)) deleteChain(c);
        } else {
          for (const c of staleCandidates) deleteChain(c);
          if (this.#pendingStale.size) {
            // Chains left over from rate-limited cleanups, unless their service brought them back.
            const active = new Set<string>();
            for (const ports of renders.values())
              for (const r of ports.values()) for (const c of r.natChains.keys()) active.add(c);
            for (const c of this.#pendingStale) if (!staleCandidates.has(c) && !active.has(c)) deleteChain(c);
            this.#pendingStale.clear();
          }
        }
        this.#lastCleanup = input.now;
      } else {
        for (const c of staleCandidates) this.#pendingStale.add(c);
      }
    }
    // Remember each service's chain contents (minimal form compares against them).
    if (rerenderAll) this.#oldChainsOf.clear();
    for (const key of rerenderAll ? renders.keys() : changed) {
      const ports = renders.get(key);
      if (!ports) {
        this.#oldChainsOf.delete(key);
        continue;
      }
      const m = new Map<string, string[]>();
      for (const r of ports.values()) for (const [c, rules] of r.natChains) m.set(c, rules);
      this.#oldChainsOf.set(key, m);
    }

    let filterStaticRules = 0;
    for (const rules of shared.filter.values()) filterStaticRules += rules.length;
    let natStaticRules = 0;
    for (const rules of shared.nat.values()) natStaticRules += rules.length;
    this.#natRulesTotal = natStaticRules + natPerServiceRules;
    this.#filterRulesTotal = filterStaticRules;

    const empty =
      filterChainLines.length +
        filterLines.length +
        natChainLines.length +
        natLines.length +
        natTail.length ===
      0;
    const text = empty
      ? ""
      : `*filter\n${joinLines(filterChainLines)}${joinLines(filterLines)}COMMIT\n*nat\n${joinLines(natChainLines)}${joinLines(natLines)}${joinLines(natTail)}COMMIT\n`;
    return {
      text,
      chainsWritten: filterChainLines.length + natChainLines.length - deleted.length,
      chainsDeleted: deleted.length,
      rulesWritten: filterRulesWritten + natRulesWritten,
      natRulesWritten,
      filterRulesWritten,
      natRulesTotal: this.#natRulesTotal,
      filterRulesTotal: this.#filterRulesTotal,
      noLocalInternal,
      noLocalExternal,
      deleted,
      written,
    };
  }

  #sharedCache: SharedAssembly | undefined;

  #assembleShared(renders: Map<string, Map<string, PortRules>>): SharedAssembly {
    const cfg = this.#cfg;
    const shared = {
      filter: new Map<string, string[]>(filterStaticChains.map((c) => [c, []])),
      nat: new Map<string, string[]>(natStaticChains.map((c) => [c, []])),
    };
    const isV4 = cfg.family === "IPv4";
    if (isV4 && cfg.localhostNodePorts && cfg.nodePortAddresses.containsIPv4Loopback)
      shared.filter.set("KUBE-FIREWALL", []);
    let noLocalInternal = 0;
    let noLocalExternal = 0;
    let natPerServiceRules = 0;
    const fS = shared.filter.get("KUBE-SERVICES")!;
    const fE = shared.filter.get("KUBE-EXTERNAL-SERVICES")!;
    const fN = shared.filter.get("KUBE-NODEPORTS")!;
    const fF = shared.filter.get("KUBE-PROXY-FIREWALL")!;
    const nS = shared.nat.get("KUBE-SERVICES")!;
    const nN = shared.nat.get("KUBE-NODEPORTS")!;
    for (const ports of renders.values()) {
      for (const r of ports.values()) {
        for (const l of r.filterServices) fS.push(l);
        for (const l of r.filterExternalServices) fE.push(l);
        for (const l of r.filterNodePorts) fN.push(l);
        for (const l of r.filterFirewall) fF.push(l);
        for (const l of r.natServices) nS.push(l);
        for (const l of r.natNodePorts) nN.push(l);
        for (const rules of r.natChains.values()) natPerServiceRules += rules.length;
        noLocalInternal += r.noLocalInternal;
        noLocalExternal += r.noLocalExternal;
      }
    }
    // Final KUBE-SERVICES rule: the tail call to KUBE-NODEPORTS.
    const npComment = `-m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain"`;
    if (cfg.nodePortAddresses.matchAll) {
      let dest = "-m addrtype --dst-type LOCAL";
      if (!isV4) dest += " ! -d ::1/128";
      else if (!cfg.localhostNodePorts) dest += " ! -d 127.0.0.0/8";
      nS.push(`-A KUBE-SERVICES ${npComment} ${dest} -j KUBE-NODEPORTS`);
    } else {
      for (const ip of nodePortIPs(cfg.nodePortAddresses, cfg.networkInterfaces)) {
        const loop = isV4 ? ip.startsWith("127.") : ip === "::1";
        if (loop && (!isV4 || !cfg.localhostNodePorts)) continue;
        nS.push(`-A KUBE-SERVICES ${npComment} -d ${ip} -j KUBE-NODEPORTS`);
      }
    }
    const fwd = shared.filter.get("KUBE-FORWARD")!;
    if (!cfg.conntrackTCPLiberal) {
      const acct = cfg.nfacct.has("ct_state_invalid_dropped_pkts")
        ? " -m nfacct --nfacct-name ct_state_invalid_dropped_pkts"
        : "";
      fwd.push(`-A KUBE-FORWARD -m conntrack --ctstate INVALID${acct} -j DROP`);
    }
    const mark = cfg.masqueradeMark;
    fwd.push(
      `-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark ${mark}/${mark} -j ACCEPT`,
    );
    fwd.push(
      `-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
    );
    shared.filter
      .get("KUBE-FIREWALL")
      ?.push(
        `-A KUBE-FIREWALL -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP`,
      );
    shared.nat
      .get("KUBE-POSTROUTING")!
      .push(
        `-A KUBE-POSTROUTING -m mark ! --mark ${mark}/${mark} -j RETURN`,
        `-A KUBE-POSTROUTING -j MARK --xor-mark ${mark}`,
        `-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE${cfg.randomFully ? " --random-fully" : ""}`,
      );
    shared.nat.get("KUBE-MARK-MASQ")!.push(`-A KUBE-MARK-MASQ -j MARK --or-mark ${mark}`);

    return { shared, natPerServiceRules, noLocalInternal, noLocalExternal };
  }

  #oldChainsOf = new Map<string, Map<string, string[]>>();
  #pendingStale = new Set<string>();
}

interface SharedAssembly {
  shared: { filter: Map<string, string[]>; nat: Map<string, string[]> };
  natPerServiceRules: number;
  noLocalInternal: number;
  noLocalExternal: number;
}

const sharedKeys = [
  "filterServices",
  "filterExternalServices",
  "filterNodePorts",
  "filterFirewall",
  "natServices",
  "natNodePorts",
] as const;

/** True when no changed service's share of the shared chains changed. */
function sharedUnchanged(
  oldOfChanged: Map<string, Map<string, PortRules> | undefined>,
  renders: Map<string, Map<string, PortRules>>,
): boolean {
  for (const [key, old] of oldOfChanged) {
    const cur = renders.get(key);
    if ((old?.size ?? 0) !== (cur?.size ?? 0)) return false;
    if (!old || !cur) continue;
    for (const [pk, o] of old) {
      const c = cur.get(pk);
      if (!c) return false;
      for (const k of sharedKeys) if (!sameLines(o[k], c[k])) return false;
    }
  }
  return true;
}

function countPerService(ports: Map<string, PortRules> | undefined): number {
  let n = 0;
  for (const r of ports?.values() ?? []) for (const rules of r.natChains.values()) n += rules.length;
  return n;
}

function sumOf(ports: Map<string, PortRules> | undefined, k: "noLocalInternal" | "noLocalExternal"): number {
  let n = 0;
  for (const r of ports?.values() ?? []) n += r[k];
  return n;
}

/** Lines joined, each followed by a newline. */
function joinLines(lines: readonly string[]): string {
  return lines.length ? `${lines.join("\n")}\n` : "";
}

function sameLines(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameChain(prev: Map<string, PortRules> | undefined, chain: string, rules: string[]): boolean {
  if (!prev) return false;
  for (const r of prev.values()) {
    const old = r.natChains.get(chain);
    if (old) return sameLines(old, rules);
  }
  return false;
}

/**
 * Rule-level edits turning `last` into `next`: `-D` for removed rules, `-I <chain> 1` (KUBE-SERVICES in nat,
 * whose last rule must stay last) or `-A` for added ones. Undefined when rewriting the chain is smaller.
 */
function ruleEdits(
  chain: string,
  last: string[],
  next: string[],
  insertAtTop: boolean,
): string[] | undefined {
  const counts = new Map<string, number>();
  for (const l of next) counts.set(l, (counts.get(l) ?? 0) + 1);
  const removed: string[] = [];
  for (const l of last) {
    const n = counts.get(l) ?? 0;
    if (n > 0) counts.set(l, n - 1);
    else removed.push(l);
  }
  const added: string[] = [];
  for (const [l, n] of counts) for (let i = 0; i < n; i++) added.push(l);
  if (insertAtTop && next.length > 0 && last.length > 0 && next[next.length - 1] !== last[last.length - 1])
    return undefined;
  if (removed.length + added.length >= next.length) return undefined;
  const prefix = `-A ${chain} `;
  const out: string[] = [];
  for (const l of removed) out.push(`-D ${chain} ${l.slice(prefix.length)}`);
  for (const l of added) out.push(insertAtTop ? `-I ${chain} 1 ${l.slice(prefix.length)}` : l);
  return out;
}
