/** POST {prefix}/filter: runs the profile's filters over the nodes kube-scheduler sent. */
import { type ResolvedProfile, runCycle } from "../../core/scheduler/mod.ts";
import type { SnapshotProvider } from "./snapshot-provider.ts";
import type { ExtenderArgs, ExtenderFilterResult } from "./wire.ts";

export function notInCacheMessage(node: string): string {
  return `node ${JSON.stringify(node)} is not in kite's node cache`;
}

export function filterVerb(
  args: ExtenderArgs,
  profile: ResolvedProfile,
  provider: SnapshotProvider,
): ExtenderFilterResult {
  const byNames = args.NodeNames !== null;
  const resolved = byNames ? provider.byNames(args.NodeNames!) : provider.forNodes(args.Nodes!.items);
  const outcome = runCycle({
    pod: args.Pod,
    snapshot: resolved.snapshot,
    profile,
    candidates: resolved.candidates,
    skipScore: true,
  });
  const failed: Record<string, string> = {};
  const unresolvable: Record<string, string> = {};
  const passed = new Set<string>();
  outcome.candidates.forEach((ni, i) => {
    const v = outcome.verdicts[i];
    if (!v) passed.add(ni.name);
    else if (v.code === "UnschedulableAndUnresolvable") unresolvable[ni.name] = v.reasons.join(", ");
    else failed[ni.name] = v.reasons.join(", ");
  });
  for (const name of resolved.missing) failed[name] = notInCacheMessage(name);
  return {
    Nodes: byNames
      ? null
      : { metadata: {}, items: args.Nodes!.items.filter((n) => passed.has(n.metadata?.name ?? "")) },
    NodeNames: byNames ? args.NodeNames!.filter((n) => passed.has(n)) : null,
    FailedNodes: failed,
    FailedAndUnresolvableNodes: unresolvable,
    Error: "",
  };
}
