/**
 * InterPodAffinity: Filter enforces the pod's required (anti-)affinity and the
 * existing pods' required anti-affinity per topology domain; Score sums
 * preferred terms both ways (and existing pods' required affinity at
 * hardPodAffinityWeight), normalised to 0..100 by min/max.
 */
import type { Pod } from "../../api/mod.ts";
import { type AffinityTerm, affinityTermMatches } from "../affinity-term.ts";
import { asBoolean, asInteger, asObject, fieldInvalid } from "../field-error.ts";
import type { NodeInfo } from "../node-info.ts";
import { type CycleContext, maxNodeScore, type PluginFactory } from "../plugin.ts";
import type { PodInfo } from "../pod-info.ts";
import { skip, success, unresolvable, unschedulable } from "../status.ts";

export const interPodAffinityName = "InterPodAffinity";
export const errReasonExistingAntiAffinityRulesNotMatch =
  "node(s) didn't satisfy existing pods anti-affinity rules";
export const errReasonAffinityRulesNotMatch = "node(s) didn't match pod affinity rules";
export const errReasonAntiAffinityRulesNotMatch = "node(s) didn't match pod anti-affinity rules";

export interface InterPodAffinityArgs {
  hardPodAffinityWeight: number;
  ignorePreferredTermsOfExistingPods: boolean;
}

type Counts = Map<string, number>;

function pairKey(key: string, value: string): string {
  return `${key}\u0000${value}`;
}

function bump(m: Counts, key: string, value: string, by: number): void {
  const k = pairKey(key, value);
  m.set(k, (m.get(k) ?? 0) + by);
}

function matchesAll(terms: readonly AffinityTerm[], pod: Pod): boolean {
  return terms.every((t) => affinityTermMatches(t, pod));
}

interface FilterState {
  existingAntiAffinityCounts: Counts;
  affinityCounts: Counts;
  antiAffinityCounts: Counts;
}

function buildFilterState(ctx: CycleContext): FilterState {
  const existingAntiAffinityCounts: Counts = new Map();
  for (const ni of ctx.snapshot.havePodsWithRequiredAntiAffinity) {
    for (const existing of ni.podsWithRequiredAntiAffinity) {
      for (const t of existing.requiredAntiAffinityTerms) {
        const v = ni.labels[t.topologyKey];
        if (v !== undefined && affinityTermMatches(t, ctx.pod))
          bump(existingAntiAffinityCounts, t.topologyKey, v, 1);
      }
    }
  }
  const affinityCounts: Counts = new Map();
  const antiAffinityCounts: Counts = new Map();
  const aff = ctx.podInfo.requiredAffinityTerms;
  const anti = ctx.podInfo.requiredAntiAffinityTerms;
  if (aff.length > 0 || anti.length > 0) {
    for (const ni of ctx.snapshot.nodeInfos) {
      for (const existing of ni.pods) {
        if (aff.length > 0 && matchesAll(aff, existing.pod)) {
          for (const t of aff) {
            const v = ni.labels[t.topologyKey];
            if (v !== undefined) bump(affinityCounts, t.topologyKey, v, 1);
          }
        }
        for (const t of anti) {
          const v = ni.labels[t.topologyKey];
          if (v !== undefined && affinityTermMatches(t, existing.pod))
            bump(antiAffinityCounts, t.topologyKey, v, 1);
        }
      }
    }
  }
  return { existingAntiAffinityCounts, affinityCounts, antiAffinityCounts };
}

function filterState(ctx: CycleContext): FilterState {
  let s = ctx.state.get("InterPodAffinity/filter") as FilterState | undefined;
  if (!s) {
    s = buildFilterState(ctx);
    ctx.state.set("InterPodAffinity/filter", s);
  }
  return s;
}

function satisfyPodAffinity(ctx: CycleContext, s: FilterState, node: NodeInfo): boolean {
  let podsExist = true;
  for (const t of ctx.podInfo.requiredAffinityTerms) {
    const v = node.labels[t.topologyKey];
    if (v === undefined) return false;
    if ((s.affinityCounts.get(pairKey(t.topologyKey, v)) ?? 0) <= 0) podsExist = false;
  }
  if (!podsExist) {
    return s.affinityCounts.size === 0 && matchesAll(ctx.podInfo.requiredAffinityTerms, ctx.pod);
  }
  return true;
}

function satisfyPodAntiAffinity(ctx: CycleContext, s: FilterState, node: NodeInfo): boolean {
  if (s.antiAffinityCounts.size === 0) return true;
  for (const t of ctx.podInfo.requiredAntiAffinityTerms) {
    const v = node.labels[t.topologyKey];
    if (v !== undefined && (s.antiAffinityCounts.get(pairKey(t.topologyKey, v)) ?? 0) > 0) return false;
  }
  return true;
}

function satisfyExistingPodsAntiAffinity(s: FilterState, node: NodeInfo): boolean {
  if (s.existingAntiAffinityCounts.size === 0) return true;
  for (const [k, v] of Object.entries(node.labels)) {
    if ((s.existingAntiAffinityCounts.get(pairKey(k, v)) ?? 0) > 0) return false;
  }
  return true;
}

/** topologyKey → topologyValue → score */
type TopologyScore = Map<string, Map<string, number>>;

function addScore(ts: TopologyScore, key: string, value: string, by: number): void {
  let m = ts.get(key);
  if (!m) {
    m = new Map();
    ts.set(key, m);
  }
  m.set(value, (m.get(value) ?? 0) + by);
}

function processTerm(
  ts: TopologyScore,
  t: AffinityTerm,
  weight: number,
  pod: Pod,
  node: NodeInfo,
  mult: number,
): void {
  if (!affinityTermMatches(t, pod)) return;
  const v = node.labels[t.topologyKey];
  if (v !== undefined) addScore(ts, t.topologyKey, v, weight * mult);
}

export const interPodAffinity: PluginFactory<InterPodAffinityArgs> = {
  name: interPodAffinityName,
  resolveArgs(raw) {
    const args = asObject(raw, "args");
    const w =
      args.hardPodAffinityWeight === undefined
        ? 1
        : asInteger(args.hardPodAffinityWeight, "hardPodAffinityWeight");
    if (w < 0 || w > 100) throw fieldInvalid("hardPodAffinityWeight", w, "not in valid range [0, 100]");
    return {
      hardPodAffinityWeight: w,
      ignorePreferredTermsOfExistingPods: asBoolean(
        args.ignorePreferredTermsOfExistingPods,
        "ignorePreferredTermsOfExistingPods",
      ),
    };
  },
  create(args) {
    return {
      name: interPodAffinityName,
      preFilter(ctx) {
        const s = filterState(ctx);
        const p = ctx.podInfo;
        if (
          p.requiredAffinityTerms.length === 0 &&
          p.requiredAntiAffinityTerms.length === 0 &&
          s.existingAntiAffinityCounts.size === 0
        ) {
          return { status: skip };
        }
        return { status: success };
      },
      filter(ctx, node) {
        const s = filterState(ctx);
        if (!satisfyPodAffinity(ctx, s, node)) return unresolvable(errReasonAffinityRulesNotMatch);
        if (!satisfyPodAntiAffinity(ctx, s, node)) return unschedulable(errReasonAntiAffinityRulesNotMatch);
        if (!satisfyExistingPodsAntiAffinity(s, node))
          return unschedulable(errReasonExistingAntiAffinityRulesNotMatch);
        return success;
      },
      preScore(ctx, nodes) {
        if (nodes.length === 0) return skip;
        const p = ctx.podInfo;
        const hasConstraints = p.preferredAffinityTerms.length > 0 || p.preferredAntiAffinityTerms.length > 0;
        if (args.ignorePreferredTermsOfExistingPods && !hasConstraints) return skip;
        const candidates = hasConstraints ? ctx.snapshot.nodeInfos : ctx.snapshot.havePodsWithAffinity;
        const ts: TopologyScore = new Map();
        for (const ni of candidates) {
          if (Object.keys(ni.labels).length === 0) continue;
          const existingPods: readonly PodInfo[] = hasConstraints ? ni.pods : ni.podsWithAffinity;
          for (const e of existingPods) {
            for (const t of p.preferredAffinityTerms) processTerm(ts, t, t.weight, e.pod, ni, 1);
            for (const t of p.preferredAntiAffinityTerms) processTerm(ts, t, t.weight, e.pod, ni, -1);
            if (args.hardPodAffinityWeight > 0) {
              for (const t of e.requiredAffinityTerms)
                processTerm(ts, t, args.hardPodAffinityWeight, ctx.pod, ni, 1);
            }
            if (!args.ignorePreferredTermsOfExistingPods) {
              for (const t of e.preferredAffinityTerms) processTerm(ts, t, t.weight, ctx.pod, ni, 1);
              for (const t of e.preferredAntiAffinityTerms) processTerm(ts, t, t.weight, ctx.pod, ni, -1);
            }
          }
        }
        if (ts.size === 0) return skip;
        ctx.state.set("InterPodAffinity/score", ts);
        return success;
      },
      score(ctx, node) {
        const ts = ctx.state.get("InterPodAffinity/score") as TopologyScore | undefined;
        if (!ts) return 0;
        let sum = 0;
        for (const [key, values] of ts) {
          const v = node.labels[key];
          if (v !== undefined) sum += values.get(v) ?? 0;
        }
        return sum;
      },
      normalizeScore(ctx, _nodes, scores) {
        if (!ctx.state.get("InterPodAffinity/score")) return;
        let min = Number.POSITIVE_INFINITY;
        let max = Number.NEGATIVE_INFINITY;
        for (const s of scores) {
          if (s > max) max = s;
          if (s < min) min = s;
        }
        const diff = max - min;
        for (let i = 0; i < scores.length; i++) {
          scores[i] = diff > 0 ? Math.trunc(maxNodeScore * ((scores[i]! - min) / diff)) : 0;
        }
      },
    };
  },
};
