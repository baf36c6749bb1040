import type { Pod } from "../api/mod.ts";
import { type PodStatsFunc, podMemoryUsage } from "./eviction-comparators.ts";
import { cachedPodRequest } from "./pod-request-cache.ts";
import { rankPods } from "./rank-pods.ts";

/**
 * Memory-pressure eviction order (upstream `rankMemoryPressure` = orderedBy(exceedMemoryRequests, priority,
 * memory)): pods without stats, then pods over their memory request, lower priority, larger usage above request.
 * Returns a new array; ties keep the input order.
 */
export function rankMemoryPressure(pods: readonly Pod[], stats: PodStatsFunc): Pod[] {
  return rankPods(pods, 4, (pod, row, at) => {
    const s = stats(pod);
    row[at + 2] = pod.spec.priority ?? 0;
    if (!s) {
      row[at] = 0;
      row[at + 1] = 0;
      row[at + 3] = 0;
      return;
    }
    const usage = podMemoryUsage(s);
    const request = cachedPodRequest(pod, "memory");
    row[at] = 1;
    row[at + 1] = usage > request ? 0 : 1;
    row[at + 3] = -(usage - request);
  });
}
