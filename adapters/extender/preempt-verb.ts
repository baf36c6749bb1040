/**
 * POST {prefix}/preempt: for each candidate node kube-scheduler proposes, the
 * minimal set of lower-priority victims that lets the pod fit, chosen as
 * DefaultPreemption does (selectVictimsOnNode). Nodes where even evicting all
 * lower-priority pods is not enough are dropped. Nodes kite has no data for,
 * or where kite finds the pod already fits, keep kube-scheduler's victims.
 */
import { type ResolvedProfile, selectVictimsOnNode } from "../../core/scheduler/mod.ts";
import type { SnapshotProvider } from "./snapshot-provider.ts";
import type { ExtenderPreemptionArgs, ExtenderPreemptionResult, MetaVictims } from "./wire.ts";

export function preemptVerb(
  args: ExtenderPreemptionArgs,
  profile: ResolvedProfile,
  provider: SnapshotProvider,
): ExtenderPreemptionResult {
  const proposed = new Map<string, MetaVictims>();
  for (const [node, v] of Object.entries(args.NodeNameToMetaVictims ?? {})) proposed.set(node, v);
  for (const [node, v] of Object.entries(args.NodeNameToVictims ?? {})) {
    proposed.set(node, {
      Pods: v.Pods.map((p) => ({ UID: p.metadata?.uid ?? "" })),
      NumPDBViolations: v.NumPDBViolations,
    });
  }
  const snapshot = provider.cluster();
  const out: Record<string, MetaVictims> = {};
  for (const [node, victims] of proposed) {
    if (!snapshot.byName.has(node)) {
      out[node] = victims;
      continue;
    }
    const mine = selectVictimsOnNode(args.Pod, node, snapshot, profile);
    if (!mine) continue;
    if (mine.pods.length === 0) {
      out[node] = victims;
      continue;
    }
    out[node] = {
      Pods: mine.pods.map((p) => ({ UID: p.metadata?.uid ?? "" })),
      NumPDBViolations: mine.numPDBViolations,
    };
  }
  return { NodeNameToMetaVictims: out };
}
