/**
 * POST {prefix}/prioritize: the profile's weighted total per node, scaled to
 * 0..MaxExtenderPriority (10). kube-scheduler multiplies it by the extender's
 * weight × 10 and adds it to its own plugin scores.
 */
import { type ResolvedProfile, runCycle } from "../../core/scheduler/mod.ts";
import type { SnapshotProvider } from "./snapshot-provider.ts";
import { type ExtenderArgs, type HostPriority, maxExtenderPriority } from "./wire.ts";

/** total ∈ [0, 100·Σweights] → ⌊total·10 / (100·Σweights)⌋ ∈ [0, 10]. */
export function toExtenderScore(total: number, profile: ResolvedProfile): number {
  const max = 100 * profile.scorePlugins.reduce((a, s) => a + s.weight, 0);
  if (max <= 0) return 0;
  return Math.max(0, Math.min(maxExtenderPriority, Math.floor((total * maxExtenderPriority) / max)));
}

export function prioritizeVerb(
  args: ExtenderArgs,
  profile: ResolvedProfile,
  provider: SnapshotProvider,
): HostPriority[] {
  const byNames = args.NodeNames !== null;
  const resolved = byNames ? provider.byNames(args.NodeNames!) : provider.forNodes(args.Nodes!.items);
  const outcome = runCycle({
    pod: args.Pod,
    snapshot: resolved.snapshot,
    profile,
    candidates: resolved.candidates,
  });
  // The feasible nodes are a subsequence of the candidates, in the same order: walk both at once.
  const { candidates, feasible, totals } = outcome;
  const out: HostPriority[] = new Array(candidates.length);
  let f = 0;
  for (let i = 0; i < candidates.length; i++) {
    const ni = candidates[i]!;
    let score = 0;
    if (f < feasible.length && feasible[f] === ni) {
      score = toExtenderScore(totals[f] ?? 0, profile);
      f++;
    }
    out[i] = { Host: ni.name, Score: score };
  }
  for (const name of resolved.missing) out.push({ Host: name, Score: 0 });
  return out;
}
