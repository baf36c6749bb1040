/** POST {prefix}/filter: runs the profile's filters over the nodes kube-scheduler sent. */
import { type CycleBuffers, type ResolvedProfile, runCycle } from "../../core/scheduler/mod.ts";
import type { SnapshotProvider } from "./snapshot-provider.ts";
import type { ExtenderArgs, ExtenderFilterResult } from "./wire.ts";

export function notInCacheMessage(node: string): string {
  return `node ${JSON.stringify(node)} is not in kite's node cache`;
}

export function filterVerb(
  args: ExtenderArgs,
  profile: ResolvedProfile,
  provider: SnapshotProvider,
  buffers?: CycleBuffers,
): ExtenderFilterResult {
  const byNames = args.NodeNames !== null;
  const resolved = provider.forArgs(args, buffers !== undefined);
  const outcome = runCycle({
    pod: args.Pod,
    snapshot: resolved.snapshot,
    profile,
    candidates: resolved.candidates,
    buffers,
    skipScore: true,
  });
  const failed: Record<string, string> = {};
  const unresolvable: Record<string, string> = {};
  const { candidates, verdicts } = outcome;
  for (let i = 0; i < candidates.length; i++) {
    const v = verdicts[i];
    if (!v) continue;
    const name = candidates[i]!.name;
    if (v.code === "UnschedulableAndUnresolvable") unresolvable[name] = v.reasons.join(", ");
    else failed[name] = v.reasons.join(", ");
  }
  for (const name of resolved.missing) failed[name] = notInCacheMessage(name);
  if (byNames) {
    // The candidates are the requested names the cache knows, in request order: walk both at once.
    const names = args.NodeNames!;
    const kept: string[] = new Array(candidates.length);
    let c = 0;
    let k = 0;
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      if (c < candidates.length && candidates[c]!.name === name) {
        if (!verdicts[c]) kept[k++] = name;
        c++;
      }
    }
    kept.length = k;
    return {
      Nodes: null,
      NodeNames: kept,
      FailedNodes: failed,
      FailedAndUnresolvableNodes: unresolvable,
      Error: "",
    };
  }
  const passed = new Set<string>();
  for (let i = 0; i < candidates.length; i++) if (!verdicts[i]) passed.add(candidates[i]!.name);
  return {
    Nodes: { metadata: {}, items: args.Nodes!.items.filter((n) => passed.has(n.metadata?.name ?? "")) },
    NodeNames: null,
    FailedNodes: failed,
    FailedAndUnresolvableNodes: unresolvable,
    Error: "",
  };
}
