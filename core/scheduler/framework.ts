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
import { Float64Scratch, Int32Scratch } from "./scratch.ts";
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
  /** Keep each plugin's raw scores apart from the normalized ones (for explanations). Default false. */
  keepRaw?: boolean;
  /**
   * Arrays to fill instead of allocating new ones (a server running one cycle after another). The
   * outcome's verdicts, feasible, totals and scores then live in these buffers: valid until the next
   * cycle run with the same buffers.
   */
  buffers?: CycleBuffers | undefined;
}

/** Arrays lent to runCycle (ScheduleInput.buffers), reused from one cycle to the next. */
export class CycleBuffers {
  readonly verdicts: (FilterVerdict | null)[] = [];
  readonly feasible: NodeInfo[] = [];
  readonly #totals = new Float64Scratch();
  /** One array per score plugin position. */
  readonly scores: number[][] = [];

  /** n zeroed totals. */
  totalsFor(n: number): Float64Array {
    return this.#totals.zeroed(n).subarray(0, n);
  }

  scoresFor(plugin: number, n: number): number[] {
    let a = this.scores[plugin];
    if (!a) {
      a = [];
      this.scores[plugin] = a;
    }
    a.length = n;
    return a;
  }
}

export function newCycleContext(pod: Pod, snapshot: Snapshot, gates: FeatureGates): CycleContext {
  // Not cached: the incoming pod is seen once per cycle (see podInfoFor).
  return { pod, podInfo: podInfoFor(pod, gates, "pod", false), snapshot, gates, state: new Map() };
}

function verdictOf(s: Status, plugin: string): FilterVerdict {
  const v: FilterVerdict = { code: s.code, plugin, reasons: [...s.reasons] };
  if (s.insufficientResources) v.insufficientResources = [...s.insufficientResources];
  return v;
}

/** Runs one score plugin (PreScore, Score, NormalizeScore) over nodes; null when PreScore skipped it. */
export function runScorePlugin(
  plugin: Plugin,
  ctx: CycleContext,
  nodes: readonly NodeInfo[],
  options: { runPreScore?: boolean; keepRaw?: boolean; out?: number[] | undefined } = {},
): { status: Status; raw: number[]; normalized: number[] } {
  if (options.runPreScore !== false && plugin.preScore) {
    const status = plugin.preScore(ctx, nodes);
    if (status.code !== "Success") return { status, raw: [], normalized: [] };
  }
  let raw: number[];
  if (plugin.scoreAll) raw = plugin.scoreAll(ctx, nodes, options.out);
  else {
    raw = options.out ?? new Array<number>(nodes.length);
    for (let i = 0; i < nodes.length; i++) raw[i] = plugin.score!(ctx, nodes[i]!);
  }
  const normalized = plugin.normalizeScore && options.keepRaw !== false ? [...raw] : raw;
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

function fitErrorMessage(total: number, verdicts: readonly FilterVerdict[]): string {
  const counts = new Map<string, number>();
  for (const v of verdicts) {
    for (const r of v.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  }
  const parts = [...counts].map(([r, c]) => `${c} ${r}`).sort();
  return `0/${total} nodes are available: ${parts.join(", ")}.`;
}

/** The compact outcome of one cycle (typed arrays, no per-node objects for passing nodes). */
export interface CycleOutcome {
  readonly podKey: string;
  readonly candidates: readonly NodeInfo[];
  /** Per candidate: the rejecting verdict, or null when the node passed every filter. */
  readonly verdicts: readonly (FilterVerdict | null)[];
  readonly preFilter: readonly PointStatus[];
  readonly preScore: readonly PointStatus[];
  readonly feasible: readonly NodeInfo[];
  readonly scored: readonly {
    plugin: string;
    weight: number;
    raw: readonly number[];
    normalized: readonly number[];
  }[];
  /** Per feasible node: Σ normalized × weight. */
  readonly totals: Float64Array;
  /** Index into `feasible` of the chosen node, or -1. */
  readonly selected: number;
  readonly message?: string;
}

// The nodes still passing during Filter (a scratch buffer: a cycle runs to completion synchronously).
const aliveScratch = new Int32Scratch();
// The totals of a cycle that scored nothing (shared: it has no elements to change).
const noTotals = new Float64Array(0);

const notEvaluated: FilterVerdict = Object.freeze({
  code: "Skip",
  reasons: ["not evaluated: enough feasible nodes were found (percentageOfNodesToScore)"],
}) as FilterVerdict;

/**
 * The outcome of a cycle that stops before scoring. Built field by field: an object spread here
 * (`{ ...common, feasible }`) left ≈ 0.5 KB per cycle alive across two scavenges in V8 11.
 */
function stoppedOutcome(
  podKey: string,
  candidates: readonly NodeInfo[],
  verdicts: readonly (FilterVerdict | null)[],
  preFilter: readonly PointStatus[],
  preScore: readonly PointStatus[],
  feasible: readonly NodeInfo[],
  message: string | undefined,
): CycleOutcome {
  const o: { -readonly [K in keyof CycleOutcome]: CycleOutcome[K] } = {
    podKey,
    candidates,
    verdicts,
    preFilter,
    preScore,
    feasible,
    scored: [],
    totals: noTotals,
    selected: -1,
  };
  if (message !== undefined) o.message = message;
  return o;
}

/** One scheduling cycle: PreFilter, Filter, PreScore, Score, NormalizeScore, weights, selection. */
export function runCycle(input: ScheduleInput): CycleOutcome {
  const { pod, snapshot, profile } = input;
  const ctx = newCycleContext(pod, snapshot, profile.gates);
  const candidates = input.candidates ?? snapshot.nodeInfos;
  const podKey = `${ctx.podInfo.namespace}/${ctx.podInfo.name}`;
  const preFilter: PointStatus[] = [];
  const preScore: PointStatus[] = [];
  const buffers = input.buffers;
  let verdicts: (FilterVerdict | null)[];
  if (buffers) {
    verdicts = buffers.verdicts;
    verdicts.length = candidates.length;
  } else verdicts = new Array(candidates.length);

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
      preFilter.push({ plugin: p.name, code: "Skip", reasons: [] });
      continue;
    }
    if (s.code !== "Success") {
      preFilter.push({ plugin: p.name, code: s.code, reasons: [...s.reasons] });
      verdicts.fill(verdictOf(s, p.name));
      return stoppedOutcome(
        podKey,
        candidates,
        verdicts,
        preFilter,
        preScore,
        [],
        `0/${candidates.length} nodes are available: ${s.reasons.join(", ")}.`,
      );
    }
    if (r.nodeNames) {
      const names = new Set(r.nodeNames);
      allowed = allowed ? new Set([...allowed].filter((n) => names.has(n))) : names;
      restricting.push(p.name);
      preFilter.push({ plugin: p.name, code: "Success", reasons: [], nodeNames: [...names].sort() });
    }
    active.push(p);
  }
  const filters = active.filter((p) => p.filter);

  // Filter
  const limit =
    profile.percentageOfNodesToScore === null
      ? candidates.length
      : numFeasibleNodesToFind(candidates.length, profile.percentageOfNodesToScore);
  const feasible: NodeInfo[] = buffers ? buffers.feasible : [];
  feasible.length = 0;
  const restrictedVerdict: FilterVerdict | null = allowed
    ? {
        code: "UnschedulableAndUnresolvable",
        plugin: restricting.join(","),
        reasons: [`node(s) didn't satisfy plugin(s) [${restricting.join(" ")}]`],
      }
    : null;
  // Plugin-major: each filter runs over the nodes still passing (same verdicts as upstream's node-major
  // loop, which stops at a node's first failing plugin), keeping each call site monomorphic.
  const alive = aliveScratch.get(candidates.length);
  let count = 0;
  for (let i = 0; i < candidates.length; i++) {
    const ni = candidates[i]!;
    verdicts[i] = null;
    if (allowed && !allowed.has(ni.name)) verdicts[i] = restrictedVerdict;
    else alive[count++] = i;
  }
  if (limit >= candidates.length) {
    for (const p of filters) {
      const filter = p.filter!;
      let kept = 0;
      for (let k = 0; k < count; k++) {
        const i = alive[k]!;
        const s = filter(ctx, candidates[i]!);
        if (s.code === "Success") alive[kept++] = i;
        else verdicts[i] = verdictOf(s, p.name);
      }
      count = kept;
    }
    feasible.length = count;
    for (let k = 0; k < count; k++) feasible[k] = candidates[alive[k]!]!;
  } else {
    // numFeasibleNodesToFind: node by node, stop once enough nodes fit.
    for (let i = 0; i < candidates.length; i++) {
      if (feasible.length >= limit) {
        verdicts[i] = notEvaluated;
        continue;
      }
      if (verdicts[i] !== null) continue;
      const ni = candidates[i]!;
      for (const p of filters) {
        const s = p.filter!(ctx, ni);
        if (s.code !== "Success") {
          verdicts[i] = verdictOf(s, p.name);
          break;
        }
      }
      if (verdicts[i] === null) feasible.push(ni);
    }
  }
  if (feasible.length === 0) {
    return stoppedOutcome(
      podKey,
      candidates,
      verdicts,
      preFilter,
      preScore,
      feasible,
      fitErrorMessage(
        candidates.length,
        verdicts.filter((v): v is FilterVerdict => v !== null),
      ),
    );
  }
  if (input.skipScore) {
    return stoppedOutcome(podKey, candidates, verdicts, preFilter, preScore, feasible, undefined);
  }

  // Score
  const scored: CycleOutcome["scored"][number][] = [];
  const totals = buffers ? buffers.totalsFor(feasible.length) : new Float64Array(feasible.length);
  const plugins = profile.scorePlugins;
  for (let pi = 0; pi < plugins.length; pi++) {
    const { plugin, weight } = plugins[pi]!;
    const r = runScorePlugin(plugin, ctx, feasible, {
      keepRaw: input.keepRaw === true,
      out: buffers ? buffers.scoresFor(pi, feasible.length) : undefined,
    });
    if (r.status.code !== "Success") {
      preScore.push({ plugin: plugin.name, code: r.status.code, reasons: [...r.status.reasons] });
      if (r.status.code === "Error") {
        throw new KiteError(
          "internal",
          `running PreScore plugin ${plugin.name}: ${r.status.reasons.join(", ")}`,
        );
      }
      continue;
    }
    const normalized = r.normalized;
    for (let i = 0; i < feasible.length; i++) {
      const v = normalized[i]!;
      if (v > maxNodeScore || v < minNodeScore) {
        throw new KiteError(
          "internal",
          `plugin ${JSON.stringify(plugin.name)} returns an invalid score ${v}, it should in the range of [${minNodeScore}, ${maxNodeScore}] after normalizing`,
        );
      }
      totals[i]! += v * weight;
    }
    scored.push({ plugin: plugin.name, weight, raw: r.raw, normalized });
  }

  // Select: highest total; ties go to the smallest node name (upstream picks at random).
  let best = 0;
  for (let i = 1; i < feasible.length; i++) {
    const t = totals[i]!;
    const b = totals[best]!;
    if (t > b || (t === b && feasible[i]!.name < feasible[best]!.name)) best = i;
  }
  return { podKey, candidates, verdicts, preFilter, preScore, feasible, scored, totals, selected: best };
}

const passedVerdict: FilterVerdict = Object.freeze({
  code: "Success",
  reasons: [],
}) as unknown as FilterVerdict;

/** Turns a cycle outcome into the per-node explanation (what `kite simulate` prints). */
export function explainCycle(o: CycleOutcome): SchedulingResult {
  const feasibleIndex = new Map<NodeInfo, number>();
  o.feasible.forEach((ni, i) => {
    feasibleIndex.set(ni, i);
  });
  const scoredRun = o.scored.length > 0 || o.preScore.length > 0;
  const nodes: NodeResult[] = o.candidates.map((ni, c) => {
    const v = o.verdicts[c] ?? null;
    if (v !== null) return { node: ni.name, filter: v };
    const i = feasibleIndex.get(ni)!;
    const nr: NodeResult = { node: ni.name, filter: passedVerdict };
    if (scoredRun) {
      nr.scores = o.scored.map((s) => ({
        plugin: s.plugin,
        raw: s.raw[i]!,
        normalized: s.normalized[i]!,
        weight: s.weight,
        weighted: s.normalized[i]! * s.weight,
      }));
      nr.total = o.totals[i]!;
    }
    return nr;
  });
  const result: SchedulingResult = {
    pod: o.podKey,
    preFilter: [...o.preFilter],
    preScore: [...o.preScore],
    nodes,
    feasibleNodes: o.feasible.length,
    selectedNode: o.selected >= 0 ? o.feasible[o.selected]!.name : null,
  };
  if (o.message) result.message = o.message;
  return result;
}

/** One scheduling cycle, explained. */
export function schedulePod(input: ScheduleInput): SchedulingResult {
  return explainCycle(runCycle({ ...input, keepRaw: true }));
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
