import type { Pod } from "../api/mod.ts";
import type { PodStatsFunc } from "./eviction-comparators.ts";
import { rankPods } from "./rank-pods.ts";

/**
 * PID-pressure eviction order (upstream `rankPIDPressure` = orderedBy(priority, process)): lower priority first,
 * then pods without stats, then more processes. Returns a new array; ties keep the input order.
 */
export function rankPIDPressure(pods: readonly Pod[], stats: PodStatsFunc): Pod[] {
  return rankPods(pods, 3, (pod, row, at) => {
    const s = stats(pod);
    row[at] = pod.spec.priority ?? 0;
    row[at + 1] = s ? 1 : 0;
    row[at + 2] = s ? -(s.process_stats?.process_count ?? 0) : 0;
  });
}
