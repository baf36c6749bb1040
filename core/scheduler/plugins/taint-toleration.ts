/**
 * TaintToleration: Filter rejects nodes with an untolerated NoSchedule/NoExecute
 * taint; Score counts untolerated PreferNoSchedule taints (fewer is better).
 */
import type { Toleration } from "../../api/mod.ts";
import { defaultNormalizeScore } from "../normalize-score.ts";
import { type CycleContext, maxNodeScore, type PluginFactory } from "../plugin.ts";
import { success, unresolvable } from "../status.ts";
import { toleratesTaint, tolerationsTolerateTaint } from "../toleration.ts";
import { resolveNoArgs } from "./no-args.ts";

export const taintTolerationName = "TaintToleration";
export const errReasonUntoleratedTaint = "node(s) had untolerated taint(s)";

const stateKey = "TaintToleration/preferTolerations";

export const taintToleration: PluginFactory<Record<string, never>> = {
  name: taintTolerationName,
  resolveArgs: resolveNoArgs,
  create: (_args, gates) => {
    const cmp = gates.TaintTolerationComparisonOperators;
    const empty: Toleration[] = [];
    const preferOf = (ctx: CycleContext): Toleration[] => {
      let hit = ctx.state.get(stateKey) as Toleration[] | undefined;
      if (!hit) {
        hit = (ctx.pod.spec?.tolerations ?? empty).filter(
          (t) => !t.effect || t.effect === "PreferNoSchedule",
        );
        ctx.state.set(stateKey, hit);
      }
      return hit;
    };
    return {
      name: taintTolerationName,
      filter(ctx, node) {
        if (node.taints.length === 0) return success;
        const tolerations = ctx.pod.spec?.tolerations ?? empty;
        for (const taint of node.taints) {
          if (taint.effect !== "NoSchedule" && taint.effect !== "NoExecute") continue;
          const r = tolerationsTolerateTaint(tolerations, taint, cmp);
          if (!r.tolerated) return unresolvable(r.parseError ?? errReasonUntoleratedTaint);
        }
        return success;
      },
      score(ctx, node) {
        if (node.taints.length === 0) return 0;
        const tolerations = preferOf(ctx);
        let count = 0;
        for (const taint of node.taints) {
          if (taint.effect !== "PreferNoSchedule") continue;
          let tolerated = false;
          for (let i = 0; i < tolerations.length && !tolerated; i++) {
            tolerated = toleratesTaint(tolerations[i]!, taint, cmp).tolerated;
          }
          if (!tolerated) count++;
        }
        return count;
      },
      normalizeScore(_ctx, _nodes, scores) {
        defaultNormalizeScore(maxNodeScore, true, scores);
      },
    };
  },
};
