/**
 * PodTopologySpread: Filter keeps the skew of matching pods across topology
 * domains within maxSkew for DoNotSchedule constraints; Score favours
 * domains with fewer matching pods for ScheduleAnyway constraints.
 * System default constraints need the Services/ReplicaSets selecting the pod,
 * which kite is not given, so only the pod's own constraints apply.
 */
import type { TopologySpreadConstraint } from "../../api/mod.ts";
import {
  compileNodeSelector,
  labelSelector,
  newRequirement,
  type Requirement,
  requirementMatches,
  type Selector,
  selectorFromSet,
} from "../../labels/mod.ts";
import { asArray, asObject, fieldNotSupported } from "../field-error.ts";
import type { NodeInfo } from "../node-info.ts";
import { type CycleContext, maxNodeScore, type PluginFactory } from "../plugin.ts";
import { skip, success, unresolvable, unschedulable } from "../status.ts";
import { tolerationsTolerateTaint } from "../toleration.ts";

export const podTopologySpreadName = "PodTopologySpread";
export const errReasonConstraintsNotMatch = "node(s) didn't match pod topology spread constraints";
export const errReasonNodeLabelNotMatch = `${errReasonConstraintsNotMatch} (missing required label)`;
const hostnameKey = "kubernetes.io/hostname";

export interface PodTopologySpreadArgs {
  defaultingType: "System" | "List";
  defaultConstraints: TopologySpreadConstraint[];
}

interface Constraint {
  maxSkew: number;
  topologyKey: string;
  minDomains: number;
  selector: Selector;
  honorAffinity: boolean;
  honorTaints: boolean;
}

function buildConstraints(ctx: CycleContext, action: "DoNotSchedule" | "ScheduleAnyway"): Constraint[] {
  const labels = ctx.pod.metadata?.labels ?? {};
  const out: Constraint[] = [];
  (ctx.pod.spec?.topologySpreadConstraints ?? []).forEach((c, i) => {
    if (c.whenUnsatisfiable !== action) return;
    const field = `pod.spec.topologySpreadConstraints[${i}]`;
    const base = labelSelector(c.labelSelector, `${field}.labelSelector`);
    const extra: Requirement[] = [];
    for (const key of c.matchLabelKeys ?? []) {
      const v = labels[key];
      if (v !== undefined) extra.push(newRequirement(key, "In", [v], `${field}.matchLabelKeys`));
    }
    const selector: Selector =
      extra.length === 0
        ? base
        : {
            empty: false,
            nothing: base.nothing,
            matches: (l) => base.matches(l) && extra.every((r) => requirementMatches(r, l)),
          };
    out.push({
      maxSkew: c.maxSkew,
      topologyKey: c.topologyKey,
      minDomains: c.minDomains ?? 1,
      selector,
      honorAffinity: (c.nodeAffinityPolicy ?? "Honor") === "Honor",
      honorTaints: c.nodeTaintsPolicy === "Honor",
    });
  });
  return out;
}

function requiredNodeAffinity(ctx: CycleContext): (node: NodeInfo) => boolean {
  let f = ctx.state.get("PodTopologySpread/nodeAffinity") as ((node: NodeInfo) => boolean) | undefined;
  if (!f) {
    const spec = ctx.pod.spec;
    const sel = spec?.nodeSelector ? selectorFromSet(spec.nodeSelector) : undefined;
    const req = spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
    const aff = req ? compileNodeSelector(req) : undefined;
    f = (node) => (!sel || sel.matches(node.labels)) && (!aff || aff.matches(node.node));
    ctx.state.set("PodTopologySpread/nodeAffinity", f);
  }
  return f;
}

function nodeIncluded(ctx: CycleContext, c: Constraint, node: NodeInfo): boolean {
  if (c.honorAffinity && !requiredNodeAffinity(ctx)(node)) return false;
  if (c.honorTaints) {
    const tolerations = ctx.pod.spec?.tolerations ?? [];
    for (const t of node.taints) {
      if (t.effect !== "NoSchedule" && t.effect !== "NoExecute") continue;
      if (!tolerationsTolerateTaint(tolerations, t, ctx.gates.TaintTolerationComparisonOperators).tolerated) {
        return false;
      }
    }
  }
  return true;
}

function hasAllKeys(node: NodeInfo, constraints: readonly Constraint[]): boolean {
  return constraints.every((c) => node.labels[c.topologyKey] !== undefined);
}

function countMatching(ctx: CycleContext, node: NodeInfo, selector: Selector): number {
  let n = 0;
  for (const p of node.pods) {
    if (p.namespace !== ctx.podInfo.namespace || p.pod.metadata?.deletionTimestamp) continue;
    if (selector.matches(p.pod.metadata?.labels)) n++;
  }
  return n;
}

interface FilterState {
  constraints: Constraint[];
  /** per constraint: topology value → matching pods */
  counts: Map<string, number>[];
}

function filterState(ctx: CycleContext): FilterState {
  let s = ctx.state.get("PodTopologySpread/filter") as FilterState | undefined;
  if (s) return s;
  const constraints = buildConstraints(ctx, "DoNotSchedule");
  const counts = constraints.map(() => new Map<string, number>());
  if (constraints.length > 0) {
    for (const ni of ctx.snapshot.nodeInfos) {
      if (!hasAllKeys(ni, constraints)) continue;
      constraints.forEach((c, i) => {
        if (!nodeIncluded(ctx, c, ni)) return;
        const v = ni.labels[c.topologyKey]!;
        const m = counts[i]!;
        m.set(v, (m.get(v) ?? 0) + countMatching(ctx, ni, c.selector));
      });
    }
  }
  s = { constraints, counts };
  ctx.state.set("PodTopologySpread/filter", s);
  return s;
}

interface ScoreState {
  constraints: Constraint[];
  ignored: Set<string>;
  counts: Map<string, number>[];
  weights: number[];
}

export const podTopologySpread: PluginFactory<PodTopologySpreadArgs> = {
  name: podTopologySpreadName,
  resolveArgs(raw) {
    const args = asObject(raw, "args");
    const defaultingType = (args.defaultingType ?? "System") as string;
    if (defaultingType !== "System" && defaultingType !== "List") {
      throw fieldNotSupported("defaultingType", defaultingType, ["System", "List"]);
    }
    const defaultConstraints = asArray(
      args.defaultConstraints,
      "defaultConstraints",
    ) as TopologySpreadConstraint[];
    return { defaultingType, defaultConstraints };
  },
  create() {
    return {
      name: podTopologySpreadName,
      preFilter(ctx) {
        return { status: filterState(ctx).constraints.length === 0 ? skip : success };
      },
      filter(ctx, node) {
        const s = filterState(ctx);
        const labels = ctx.pod.metadata?.labels;
        for (let i = 0; i < s.constraints.length; i++) {
          const c = s.constraints[i]!;
          const v = node.labels[c.topologyKey];
          if (v === undefined) return unresolvable(errReasonNodeLabelNotMatch);
          const self = c.selector.matches(labels) ? 1 : 0;
          const m = s.counts[i]!;
          let min = m.size < c.minDomains ? 0 : Number.POSITIVE_INFINITY;
          if (min !== 0) for (const n of m.values()) if (n < min) min = n;
          if (min === Number.POSITIVE_INFINITY) min = 0;
          const skew = (m.get(v) ?? 0) + self - min;
          if (skew > c.maxSkew) return unschedulable(errReasonConstraintsNotMatch);
        }
        return success;
      },
      preScore(ctx, nodes) {
        const constraints = buildConstraints(ctx, "ScheduleAnyway");
        if (constraints.length === 0 || nodes.length === 0) return skip;
        const ignored = new Set<string>();
        const counts = constraints.map(() => new Map<string, number>());
        for (const ni of nodes) {
          if (!hasAllKeys(ni, constraints)) {
            ignored.add(ni.name);
            continue;
          }
          constraints.forEach((c, i) => {
            if (c.topologyKey !== hostnameKey) counts[i]!.set(ni.labels[c.topologyKey]!, 0);
          });
        }
        const weights = constraints.map((c, i) => {
          const size = c.topologyKey === hostnameKey ? nodes.length - ignored.size : counts[i]!.size;
          return Math.log(size + 2);
        });
        for (const ni of ctx.snapshot.nodeInfos) {
          if (!hasAllKeys(ni, constraints)) continue;
          constraints.forEach((c, i) => {
            if (c.topologyKey === hostnameKey || !nodeIncluded(ctx, c, ni)) return;
            const v = ni.labels[c.topologyKey]!;
            const m = counts[i]!;
            if (!m.has(v)) return;
            m.set(v, m.get(v)! + countMatching(ctx, ni, c.selector));
          });
        }
        const state: ScoreState = { constraints, ignored, counts, weights };
        ctx.state.set("PodTopologySpread/score", state);
        return success;
      },
      score(ctx, node) {
        const s = ctx.state.get("PodTopologySpread/score") as ScoreState | undefined;
        if (!s || s.ignored.has(node.name)) return 0;
        let score = 0;
        s.constraints.forEach((c, i) => {
          const cnt =
            c.topologyKey === hostnameKey
              ? countMatching(ctx, node, c.selector)
              : (s.counts[i]!.get(node.labels[c.topologyKey]!) ?? 0);
          score += cnt * s.weights[i]! + (c.maxSkew - 1);
        });
        return Math.round(score);
      },
      normalizeScore(ctx, nodes, scores) {
        const s = ctx.state.get("PodTopologySpread/score") as ScoreState | undefined;
        if (!s) return;
        let min = Number.POSITIVE_INFINITY;
        let max = 0;
        nodes.forEach((n, i) => {
          if (s.ignored.has(n.name)) return;
          const v = scores[i]!;
          if (v < min) min = v;
          if (v > max) max = v;
        });
        nodes.forEach((n, i) => {
          if (s.ignored.has(n.name)) scores[i] = 0;
          else if (max === 0) scores[i] = maxNodeScore;
          else scores[i] = Math.trunc((maxNodeScore * (max + min - scores[i]!)) / max);
        });
      },
    };
  },
};
