/**
 * POST {prefix}/prioritize: the profile's weighted total per node, scaled to
 * 0..MaxExtenderPriority (10). kube-scheduler multiplies it by the extender's
 * weight × 10 and adds it to its own plugin scores.
 */
import { type CycleBuffers, type ResolvedProfile, runCycle } from "../../core/scheduler/mod.ts";
import type { SnapshotProvider } from "./snapshot-provider.ts";
import { type ExtenderArgs, type HostPriority, maxExtenderPriority } from "./wire.ts";

function maxTotal(profile: ResolvedProfile): number {
  let weights = 0;
  for (const s of profile.scorePlugins) weights += s.weight;
  return 100 * weights;
}

/** total ∈ [0, 100·Σweights] → ⌊total·10 / (100·Σweights)⌋ ∈ [0, 10]. */
export function toExtenderScore(total: number, profile: ResolvedProfile, max = maxTotal(profile)): number {
  if (max <= 0) return 0;
  return Math.max(0, Math.min(maxExtenderPriority, Math.floor((total * maxExtenderPriority) / max)));
}

/**
 * The HostPriorityList in compact form: host names and their scores, in request order (the names the
 * cache does not know last, with 0). `encodeHostPriorityList` writes it as the wire JSON.
 */
export interface HostScores {
  readonly hosts: readonly string[];
  readonly scores: readonly number[];
}

export function hostPriorityList(r: HostScores): HostPriority[] {
  return r.hosts.map((Host, i) => ({ Host, Score: r.scores[i]! }));
}

export function prioritizeVerb(
  args: ExtenderArgs,
  profile: ResolvedProfile,
  provider: SnapshotProvider,
  buffers?: CycleBuffers,
): HostScores {
  const resolved = provider.forArgs(args, buffers !== undefined);
  const outcome = runCycle({
    pod: args.Pod,
    snapshot: resolved.snapshot,
    profile,
    candidates: resolved.candidates,
    buffers,
  });
  // The feasible nodes are a subsequence of the candidates, in the same order: walk both at once.
  const { candidates, feasible, totals } = outcome;
  const { missing } = resolved;
  const hosts: string[] = new Array(candidates.length + missing.length);
  const scores: number[] = new Array(hosts.length).fill(0);
  const max = maxTotal(profile);
  let f = 0;
  for (let i = 0; i < candidates.length; i++) {
    const ni = candidates[i]!;
    if (f < feasible.length && feasible[f] === ni) {
      scores[i] = toExtenderScore(totals[f] ?? 0, profile, max);
      f++;
    }
    hosts[i] = ni.name;
  }
  for (let i = 0; i < missing.length; i++) hosts[candidates.length + i] = missing[i]!;
  return { hosts, scores };
}
