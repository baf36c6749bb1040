import type { Pod } from "../api/mod.ts";
import {
  type DiskResource,
  type FsStatsType,
  type PodStatsFunc,
  podDiskUsage,
} from "./eviction-comparators.ts";
import { cachedPodRequest } from "./pod-request-cache.ts";
import { rankPods } from "./rank-pods.ts";

/**
 * Disk-pressure eviction order for the chosen filesystems and resource (upstream `rankDiskPressureFunc` =
 * orderedBy(exceedDiskRequests, priority, disk)): pods without stats, pods over their ephemeral-storage request
 * (inodes have no request), lower priority, larger usage above request. Returns a new array.
 */
export function rankDiskPressureFunc(
  fsStatsToMeasure: readonly FsStatsType[],
  resource: DiskResource,
): (pods: readonly Pod[], stats: PodStatsFunc) => Pod[] {
  return (pods, stats) =>
    rankPods(pods, 4, (pod, row, at) => {
      const s = stats(pod);
      row[at + 2] = pod.spec.priority ?? 0;
      if (!s) {
        row[at] = 0;
        row[at + 1] = 0;
        row[at + 3] = 0;
        return;
      }
      const usage = podDiskUsage(s, pod, fsStatsToMeasure)[resource];
      const request = cachedPodRequest(pod, resource);
      row[at] = 1;
      row[at + 1] = usage > request ? 0 : 1;
      row[at + 3] = -(usage - request);
    });
}
