/** POST {prefix}/filter: runs the profile's filters over the nodes kube-scheduler sent. */
import { type ResolvedProfile, schedulePod } from "../../core/scheduler/mod.ts";
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
  const result = schedulePod({
    pod: args.Pod,
    snapshot: resolved.snapshot,
    profile,
    candidates: resolved.candidates,
    skipScore: true,
  });
  const failed: Record<string, string> = {};
  const unresolvable: Record<string, string> = {};
  const passed = new Set<string>();
  for (const n of result.nodes) {
    if (n.filter.code === "Success") passed.add(n.node);
    else if (n.filter.code === "UnschedulableAndUnresolvable")
      unresolvable[n.node] = n.filter.reasons.join(", ");
    else failed[n.node] = n.filter.reasons.join(", ");
  }
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
