/**
 * `kite proxy render` and `kite proxy plan` in the core: the full rules for a set of objects, and the
 * minimal change from the kernel's current rules (given as `iptables-save` / `nft list table` text).
 */
import type { EndpointSlice, Service } from "../api/mod.ts";
import { invalidArgument } from "../errors/mod.ts";
import { normalizeRule, parseIptablesSave } from "./iptables-save.ts";
import { isServiceChainName } from "./iptables-service-rules.ts";
import { diffIpvs, parseIpvsadmList, parseIpvsadmSave, renderIpvsOps } from "./ipvs-diff.ts";
import type { IpvsProxier } from "./ipvs-proxier.ts";
import type { IpvsState } from "./ipvs-state.ts";
import { planNftables } from "./nft-plan.ts";
import { createProxier } from "./proxier.ts";
import type { ProxierConfig, ProxyEvent, SyncResult } from "./types.ts";

/** API objects (any order; `kind` Service or EndpointSlice; others ignored) → add events. */
export function objectsToEvents(objects: readonly unknown[]): ProxyEvent[] {
  const out: ProxyEvent[] = [];
  objects.forEach((o, i) => {
    if (!o || typeof o !== "object") throw invalidArgument(`objects[${i}]`, "not an object");
    const kind = (o as { kind?: unknown }).kind;
    if (kind === "Service") out.push({ kind: "Service", op: "add", object: o as Service });
    else if (kind === "EndpointSlice")
      out.push({ kind: "EndpointSlice", op: "add", object: o as EndpointSlice });
    else if (kind === "List" && Array.isArray((o as { items?: unknown }).items))
      out.push(...objectsToEvents((o as { items: unknown[] }).items));
  });
  return out;
}

/** Full rules for these objects (a first, full sync). */
export function renderRules(config: ProxierConfig, objects: readonly unknown[], now = 0): SyncResult {
  const p = createProxier(config);
  p.handleAll(objectsToEvents(objects));
  return p.sync({ now });
}

export interface PlanResult {
  /** What would be applied (iptables-restore input / nft script); empty when the kernel is up to date. */
  text: string;
  /** Human summary lines (`+ chain`, `- chain`, `~ chain`). */
  summary: string[];
  chainsChanged: number;
  chainsDeleted: number;
  /** nft: element additions/deletions. */
  elementsAdded: number;
  elementsDeleted: number;
}

/** Minimal change from `current` (iptables-save or `nft list table ip kube-proxy` output) to the desired rules. */
export function planRules(
  config: ProxierConfig,
  objects: readonly unknown[],
  current: string,
  now = 0,
): PlanResult {
  if (typeof current !== "string") throw invalidArgument("current", "must be text");
  if (config.mode === "ipvs") return planIpvs(config, objects, current, now);
  const desired = renderRules(config, objects, now);
  if (config.mode === "nftables") return planNftables(config, desired.text, current);
  return planIptables(desired.text, current);
}

/**
 * IPVS plan: `current` holds `ipvsadm -S -n` (or `ipvsadm -L -n`) output and, optionally, `iptables-save`
 * output; the plan lists the ipvsadm commands and the iptables chains that would change. ipsets and
 * kube-ipvs0 addresses are not read, so they are not planned.
 */
function planIpvs(
  config: ProxierConfig,
  objects: readonly unknown[],
  current: string,
  now: number,
): PlanResult {
  const p = createProxier(config);
  p.handleAll(objectsToEvents(objects));
  p.sync({ now });
  const desired = (p.backend as IpvsProxier).desired;
  const ipvsLines: string[] = [];
  const iptLines: string[] = [];
  let inTable = false;
  for (const line of current.split("\n")) {
    if (line.startsWith("*")) inTable = true;
    if (inTable) iptLines.push(line);
    else ipvsLines.push(line);
    if (line.trim() === "COMMIT") inTable = false;
  }
  const ipvsText = ipvsLines.join("\n");
  const parsed = /^\s*(TCP|UDP|SCTP)\s/m.test(ipvsText)
    ? parseIpvsadmList(ipvsText)
    : parseIpvsadmSave(ipvsText);
  const observed: IpvsState = {
    ...desired,
    virtualServers: parsed.virtualServers,
    realServers: parsed.realServers,
  };
  const ops = diffIpvs(observed, desired, {
    excludeCIDRs: p.config.excludeCIDRs,
    family: p.config.family,
  });
  const { commands } = renderIpvsOps(ops, p.config.family);
  const ipt = iptLines.length
    ? planIptables(renderRules(config, objects, now).ipvs?.iptablesRestore ?? "", iptLines.join("\n"))
    : undefined;
  const text = `${commands.length ? `${commands.join("\n")}\n` : ""}${ipt?.text ?? ""}`;
  return {
    text,
    summary: [...commands, ...(ipt?.summary ?? [])],
    chainsChanged:
      ops.filter((o) => o.op === "add-vs" || o.op === "edit-vs").length + (ipt?.chainsChanged ?? 0),
    chainsDeleted: ops.filter((o) => o.op === "del-vs").length + (ipt?.chainsDeleted ?? 0),
    elementsAdded: ops.filter((o) => o.op === "add-rs").length,
    elementsDeleted: ops.filter((o) => o.op === "del-rs").length,
  };
}

export function planIptables(desiredText: string, current: string): PlanResult {
  const want = parseIptablesSave(desiredText);
  const have = parseIptablesSave(current);
  const out: string[] = [];
  const summary: string[] = [];
  let chainsChanged = 0;
  let chainsDeleted = 0;
  for (const [table, t] of want) {
    const h = have.get(table)?.chains ?? new Map<string, string[]>();
    const decl: string[] = [];
    const rules: string[] = [];
    const tail: string[] = [];
    for (const [chain, wantRules] of t.chains) {
      const haveRules = h.get(chain);
      const same =
        haveRules !== undefined &&
        haveRules.length === wantRules.length &&
        haveRules.every((r, i) => normalizeRule(r) === normalizeRule(wantRules[i]!));
      if (same) continue;
      decl.push(`:${chain} - [0:0]`);
      rules.push(...wantRules);
      summary.push(`${haveRules === undefined ? "+" : "~"} ${table} ${chain} (${wantRules.length} rules)`);
      chainsChanged++;
    }
    for (const chain of h.keys()) {
      if (t.chains.has(chain) || !isServiceChainName(chain)) continue;
      decl.push(`:${chain} - [0:0]`);
      tail.push(`-X ${chain}`);
      summary.push(`- ${table} ${chain}`);
      chainsDeleted++;
    }
    if (decl.length) out.push(`*${table}`, ...decl, ...rules, ...tail, "COMMIT");
  }
  return {
    text: out.length ? `${out.join("\n")}\n` : "",
    summary,
    chainsChanged,
    chainsDeleted,
    elementsAdded: 0,
    elementsDeleted: 0,
  };
}
