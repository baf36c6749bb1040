/**
 * The scheduling cycle for one pod over a snapshot: PreFilter, Filter,
 * PreScore, Score, NormalizeScore, weights, totals and node selection, with
 * every plugin's verdict and score kept so the decision can be explained.
 */
import type { Node, Pod } from "../api/mod.ts";
import { KiteError } from "../errors/mod.ts";
import type { FeatureGates } from "./feature-gates.ts";
import type { NodeInfo } from "./node-info.ts";
import { type CycleContext, maxNodeScore, minNodeScore, type Plugin } from "./plugin.ts";
import { podInfoFor } from "./pod-info.ts";
import { createProfile, type ResolvedProfile } from "./profile.ts";
import { buildSnapshot, type Snapshot } from "./snapshot.ts";
import type { InsufficientResource, Status, StatusCode } from "./status.ts";

export interface FilterVerdict {
  code: StatusCode;
  /** The plugin that rejected the node (absent on success). */
  plugin?: string;
  reasons: string[];
  insufficientResources?: InsufficientResource[];
}

export interface PluginScore {
  plugin: string;
  raw: number;
  normalized: number;
  weight: number;
  weighted: number;
}

export interface NodeResult {
  node: string;
  filter: FilterVerdict;
  /** Score plugins that ran (absent for nodes that did not pass the filters). */
  scores?: PluginScore[];
  total?: number;
}

export interface PointStatus {
  plugin: string;
  code: StatusCode;
  reasons: string[];
  nodeNames?: string[] | null;
}

export interface SchedulingResult {
  pod: string;
  /** PreFilter outcomes that were not plain Success (Skip, failures, node-name restrictions). */
  preFilter: PointStatus[];
  /** PreScore outcomes that were not plain Success (Skip means the plugin did not score). */
  preScore: PointStatus[];
  nodes: NodeResult[];
  feasibleNodes: number;
  selectedNode: string | null;
  /** Upstream's FitError text when no node fits ("0/3 nodes are available: ..."). */
  message?: string;
}

export interface ScheduleInput {
  pod: Pod;
  snapshot: Snapshot;
  profile: ResolvedProfile;
  /** Only these nodes are candidates (extender: the nodes kube-scheduler sent). Default: every node of the snapshot. */
  candidates?: readonly NodeInfo[];
  /** Stop after Filter (the extender's filter verb needs no scores). */
  skipScore?: boolean;
}

export function newCycleContext(pod: Pod, snapshot: Snapshot, gates: FeatureGates): CycleContext {
  return { pod, podInfo: podInfoFor(pod, gates, "pod"), snapshot, gates, state: new Map() };
}

function verdictOf(s: Status, plugin: string): FilterVerdict {
  const v: FilterVerdict = { code: s.code, plugin, reasons: [...s.reasons] };
  if (s.insufficientResources) v.insufficientResources = [...s.insufficientResources];
  return v;
}

const passed: FilterVerdict = Object.freeze({ code: "Success", reasons: [] }) as FilterVerdict;

/** Runs one score plugin (PreScore, Score, NormalizeScore) over nodes; null when PreScore skipped it. */
export function runScorePlugin(
  plugin: Plugin,
  ctx: CycleContext,
  nodes: readonly NodeInfo[],
  options: { runPreScore?: boolean } = {},
): { status: Status; raw: number[]; normalized: number[] } {
  if (options.runPreScore !== false && plugin.preScore) {
    const status = plugin.preScore(ctx, nodes);
    if (status.code !== "Success") return { status, raw: [], normalized: [] };
  }
  const raw = plugin.scoreAll ? plugin.scoreAll(ctx, nodes) : nodes.map((n) => plugin.score!(ctx, n));
  const normalized = [...raw];
  plugin.normalizeScore?.(ctx, nodes, normalized);
  return { status: { code: "Success", reasons: [] }, raw, normalized };
}

/** numFeasibleNodesToFind (schedule_one.go), for an explicit percentageOfNodesToScore. */
export function numFeasibleNodesToFind(numAllNodes: number, percentage: number): number {
  if (numAllNodes < 100 || percentage >= 100) return numAllNodes;
  let p = percentage;
  if (p <= 0) p = Math.max(50 - Math.trunc(numAllNodes / 125), 5);
  return Math.max(Math.trunc((numAllNodes * p) / 100), 100);
}

function fitErrorMessage(total: number, nodes: readonly NodeResult[]): string {
  const counts = new Map<string, number>();
  for (const n of nodes) {
    for (const r of n.filter.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  }
  const parts = [...counts].map(([r, c]) => `${c} ${r}`).sort();
  return `0/${total} nodes are available: ${parts.join(", ")}.`;
}

/** One scheduling cycle, explained. */
export function schedulePod(input: ScheduleInput): SchedulingResult {
  const { pod, snapshot, profile } = input;
  const ctx = newCycleContext(pod, snapshot, profile.gates);
  const candidates = input.candidates ?? snapshot.nodeInfos;
  const podKey = `${ctx.podInfo.namespace}/${ctx.podInfo.name}`;
  const result: SchedulingResult = {
    pod: podKey,
    preFilter: [],
    preScore: [],
    nodes: [],
    feasibleNodes: 0,
    selectedNode: null,
  };

  // PreFilter
  const active: Plugin[] = [];
  let allowed = null as Set<string> | null;
  const restricting: string[] = [];
  for (const p of profile.filterPlugins) {
    if (!p.preFilter) {
      active.push(p);
      continue;
    }
    const r = p.preFilter(ctx);
    const s = r.status;
    if (s.code === "Skip") {
      result.preFilter.push({ plugin: p.name, code: "Skip", reasons: [] });
      continue;
    }
    if (s.code !== "Success") {
      result.preFilter.push({ plugin: p.name, code: s.code, reasons: [...s.reasons] });
      const verdict = verdictOf(s, p.name);
      result.nodes = candidates.map((n) => ({ node: n.name, filter: verdict }));
      result.message = `0/${candidates.length} nodes are available: ${s.reasons.join(", ")}.`;
      return result;
    }
    if (r.nodeNames) {
      const names = new Set(r.nodeNames);
      allowed = allowed ? new Set([...allowed].filter((n) => names.has(n))) : names;
      restricting.push(p.name);
      result.preFilter.push({ plugin: p.name, code: "Success", reasons: [], nodeNames: [...names].sort() });
    }
    active.push(p);
  }

  // Filter
  const limit =
    profile.percentageOfNodesToScore === null
      ? candidates.length
      : numFeasibleNodesToFind(candidates.length, profile.percentageOfNodesToScore);
  const feasible: NodeInfo[] = [];
  const byNode = new Map<NodeInfo, NodeResult>();
  for (const ni of candidates) {
    if (feasible.length >= limit) {
      result.nodes.push({
        node: ni.name,
        filter: {
          code: "Skip",
          reasons: ["not evaluated: enough feasible nodes were found (percentageOfNodesToScore)"],
        },
      });
      continue;
    }
    let verdict = passed;
    if (allowed && !allowed.has(ni.name)) {
      verdict = {
        code: "UnschedulableAndUnresolvable",
        plugin: restricting.join(","),
        reasons: [`node(s) didn't satisfy plugin(s) [${restricting.join(" ")}]`],
      };
    } else {
      for (const p of active) {
        if (!p.filter) continue;
        const s = p.filter(ctx, ni);
        if (s.code !== "Success") {
          verdict = verdictOf(s, p.name);
          break;
        }
      }
    }
    const nr: NodeResult = { node: ni.name, filter: verdict };
    result.nodes.push(nr);
    if (verdict === passed) {
      feasible.push(ni);
      byNode.set(ni, nr);
    }
  }
  result.feasibleNodes = feasible.length;
  if (feasible.length === 0) {
    result.message = fitErrorMessage(candidates.length, result.nodes);
    return result;
  }
  if (input.skipScore) return result;

  // Score
  for (const nr of byNode.values()) {
    nr.scores = [];
    nr.total = 0;
  }
  for (const { plugin, weight } of profile.scorePlugins) {
    const r = runScorePlugin(plugin, ctx, feasible);
    if (r.status.code !== "Success") {
      result.preScore.push({ plugin: plugin.name, code: r.status.code, reasons: [...r.status.reasons] });
      if (r.status.code === "Error") {
        throw new KiteError(
          "internal",
          `running PreScore plugin ${plugin.name}: ${r.status.reasons.join(", ")}`,
        );
      }
      continue;
    }
    feasible.forEach((ni, i) => {
      const normalized = r.normalized[i]!;
      if (normalized > maxNodeScore || normalized < minNodeScore) {
        throw new KiteError(
          "internal",
          `plugin ${JSON.stringify(plugin.name)} returns an invalid score ${normalized}, it should in the range of [${minNodeScore}, ${maxNodeScore}] after normalizing`,
        );
      }
      const nr = byNode.get(ni)!;
      const weighted = normalized * weight;
      nr.scores!.push({ plugin: plugin.name, raw: r.raw[i]!, normalized, weight, weighted });
      nr.total! += weighted;
    });
  }

  // Select: highest total; ties go to the smallest node name (upstream picks at random).
  let best: NodeResult | undefined;
  for (const nr of byNode.values()) {
    if (!best || nr.total! > best.total! || (nr.total === best.total && nr.node < best.node)) best = nr;
  }
  result.selectedNode = best?.node ?? null;
  return result;
}

export interface SimulateInput {
  pod: Pod;
  nodes: readonly Node[];
  /** Pods already placed (spec.nodeName set). */
  pods?: readonly Pod[];
  profile?: ResolvedProfile;
}

/** Builds a snapshot from plain objects and runs one cycle (defaults when no profile is given). */
export function simulate(input: SimulateInput): SchedulingResult {
  const profile = input.profile ?? createProfile();
  const snapshot = buildSnapshot(input.nodes, input.pods ?? [], profile.gates);
  return schedulePod({ pod: input.pod, snapshot, profile });
}
