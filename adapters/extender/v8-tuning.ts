/**
 * V8 settings for the extender process, applied when the app is created.
 *
 * Allocation-site pretenuring: building the snapshot of a large cluster
 * allocates tens of thousands of PodInfo/Resource/NodeInfo objects that all
 * survive, so V8 decides to allocate everything from those sites directly in
 * the old generation. From then on each request's short-lived PodInfo for the
 * incoming pod lands in old space too and keeps its young children alive until
 * a full GC: every scavenge copies and promotes them (≈ 70 KB per 30 pairs at
 * 5000 nodes, doubling the scavenge's cost, which sets the round-trip p99).
 * Without pretenuring those objects die young. The flag is read when V8
 * processes pretenuring feedback, so setting it at run time works as long as
 * it happens before the first large snapshot is built.
 */
import { setFlagsFromString } from "node:v8";

let applied = false;

export function tuneV8ForExtender(): void {
  if (applied) return;
  applied = true;
  setFlagsFromString("--no-allocation-site-pretenuring");
}
