/**
 * NodeAffinity: Filter on spec.nodeSelector AND required node affinity (and
 * the scheduler-enforced addedAffinity); Score sums the weights of the
 * matching preferred terms, normalised to 0..100.
 */
import type { NodeAffinity, NodeSelectorTerm, PreferredSchedulingTerm } from "../../api/mod.ts";
import { KiteError } from "../../errors/mod.ts";
import {
  type CompiledNodeSelector,
  compileNodeSelector,
  compileNodeSelectorStrict,
  nodeSelectorTermMatches,
  type ParsedNodeSelectorTerm,
  parseNodeSelectorTerm,
  selectorFromSet,
} from "../../labels/mod.ts";
import { asArray, asInteger, asObject, fieldInvalid } from "../field-error.ts";
import type { NodeInfo } from "../node-info.ts";
import { defaultNormalizeScore } from "../normalize-score.ts";
import { type CycleContext, maxNodeScore, type PluginFactory } from "../plugin.ts";
import { errorStatus, skip, success, unresolvable } from "../status.ts";

export const nodeAffinityName = "NodeAffinity";
export const errReasonPod = "node(s) didn't match Pod's node affinity/selector";
export const errReasonEnforced = "node(s) didn't match scheduler-enforced node affinity";
export const errReasonConflict = "pod affinity terms conflict";

export interface NodeAffinityArgs {
  addedAffinity?: NodeAffinity;
}

interface WeightedTerm {
  weight: number;
  term: ParsedNodeSelectorTerm;
}

function isEmptyTerm(t: NodeSelectorTerm): boolean {
  return (t.matchExpressions ?? []).length === 0 && (t.matchFields ?? []).length === 0;
}

/** NewPreferredSchedulingTerms: drops weight-0 and empty terms; a parse error fails. */
function preferredTerms(terms: readonly PreferredSchedulingTerm[], field: string): WeightedTerm[] {
  const out: WeightedTerm[] = [];
  terms.forEach((t, i) => {
    if (!t.weight || isEmptyTerm(t.preference ?? {})) return;
    out.push({ weight: t.weight, term: parseNodeSelectorTerm(t.preference, `${field}[${i}].preference`) });
  });
  return out;
}

function scoreTerms(terms: readonly WeightedTerm[], node: NodeInfo): number {
  let sum = 0;
  for (const t of terms) if (nodeSelectorTermMatches(t.term, node.node)) sum += t.weight;
  return sum;
}

interface Required {
  matches(node: NodeInfo): boolean;
}

function requiredFor(ctx: CycleContext): Required {
  const cached = ctx.state.get("NodeAffinity/required") as Required | undefined;
  if (cached) return cached;
  const spec = ctx.pod.spec;
  const sel = spec?.nodeSelector ? selectorFromSet(spec.nodeSelector) : undefined;
  const req = spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  const aff: CompiledNodeSelector | undefined = req
    ? compileNodeSelector(
        req,
        "pod.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution",
      )
    : undefined;
  const r: Required = {
    matches: (node) => (!sel || sel.matches(node.labels)) && (!aff || aff.matches(node.node)),
  };
  ctx.state.set("NodeAffinity/required", r);
  return r;
}

export const nodeAffinity: PluginFactory<NodeAffinityArgs> = {
  name: nodeAffinityName,
  resolveArgs(raw) {
    const args = asObject(raw, "args");
    const added = args.addedAffinity;
    if (added === undefined || added === null) return {};
    const a = asObject(added, "addedAffinity") as NodeAffinity;
    if (a.requiredDuringSchedulingIgnoredDuringExecution) {
      asObject(
        a.requiredDuringSchedulingIgnoredDuringExecution,
        "addedAffinity.requiredDuringSchedulingIgnoredDuringExecution",
      );
      compileNodeSelectorStrict(
        a.requiredDuringSchedulingIgnoredDuringExecution,
        "addedAffinity.requiredDuringSchedulingIgnoredDuringExecution",
      );
    }
    asArray(
      a.preferredDuringSchedulingIgnoredDuringExecution,
      "addedAffinity.preferredDuringSchedulingIgnoredDuringExecution",
    ).forEach((t, i) => {
      const f = `addedAffinity.preferredDuringSchedulingIgnoredDuringExecution[${i}]`;
      const term = asObject(t, f);
      const w = asInteger(term.weight, `${f}.weight`);
      if (w < 1 || w > 100) throw fieldInvalid(`${f}.weight`, w, "must be in the range 1-100");
      parseNodeSelectorTerm(asObject(term.preference, `${f}.preference`), `${f}.preference`);
    });
    return { addedAffinity: a };
  },
  create(args) {
    const addedReq = args.addedAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
    const addedSelector = addedReq ? compileNodeSelector(addedReq, "addedAffinity") : undefined;
    const addedPreferred = args.addedAffinity?.preferredDuringSchedulingIgnoredDuringExecution;
    const addedPrefTerms = addedPreferred ? preferredTerms(addedPreferred, "addedAffinity") : undefined;
    return {
      name: nodeAffinityName,
      preFilter(ctx) {
        const spec = ctx.pod.spec;
        const req = spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
        if (!req && !addedSelector && !spec?.nodeSelector) return { status: skip };
        requiredFor(ctx);
        const terms = req?.nodeSelectorTerms ?? [];
        if (terms.length === 0) return { status: success };
        let nodeNames: Set<string> | undefined;
        for (const t of terms) {
          let termNames: Set<string> | undefined;
          for (const r of t.matchFields ?? []) {
            if (r.key === "metadata.name" && r.operator === "In") {
              const s = new Set(r.values ?? []);
              termNames = termNames ? new Set([...termNames].filter((n) => s.has(n))) : s;
            }
          }
          if (!termNames) return { status: success };
          nodeNames = new Set([...(nodeNames ?? []), ...termNames]);
        }
        if (nodeNames && nodeNames.size === 0) return { status: unresolvable(errReasonConflict) };
        return { status: success, nodeNames: nodeNames ?? null };
      },
      filter(ctx, node) {
        if (addedSelector && !addedSelector.matches(node.node)) return unresolvable(errReasonEnforced);
        if (!requiredFor(ctx).matches(node)) return unresolvable(errReasonPod);
        return success;
      },
      preScore(ctx) {
        const preferred =
          ctx.pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution;
        if ((!preferred || preferred.length === 0) && !addedPrefTerms) return skip;
        try {
          ctx.state.set(
            "NodeAffinity/preferred",
            preferredTerms(
              preferred ?? [],
              "pod.spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution",
            ),
          );
        } catch (e) {
          return errorStatus(KiteError.from(e).message);
        }
        return success;
      },
      score(ctx, node) {
        let terms = ctx.state.get("NodeAffinity/preferred") as WeightedTerm[] | undefined;
        if (!terms) {
          const preferred =
            ctx.pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
          terms = preferredTerms(
            preferred,
            "pod.spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution",
          );
          ctx.state.set("NodeAffinity/preferred", terms);
        }
        let count = 0;
        if (addedPrefTerms) count += scoreTerms(addedPrefTerms, node);
        count += scoreTerms(terms, node);
        return count;
      },
      normalizeScore(_ctx, _nodes, scores) {
        defaultNormalizeScore(maxNodeScore, false, scores);
      },
    };
  },
};
