import type { Pod, Volume } from "../api/mod.ts";
import type { PodStatsSummary } from "./eviction-observations.ts";
import { podRequest } from "./pod-request.ts";

/** Looks up a pod's stats; undefined = no stats found (statsFunc). */
export type PodStatsFunc = (pod: Pod) => PodStatsSummary | undefined;
/** < 0: p1 is evicted first; > 0: p2 first; 0: the next comparator decides (cmpFunc). */
export type CmpFunc = (p1: Pod, p2: Pod) => number;

/** Which filesystem usage counts for a disk signal (fsStatsType). */
export type FsStatsType = "root" | "logs" | "localVolumeSource";
/** The resource a disk signal is short of. */
export type DiskResource = "ephemeral-storage" | "inodes";

/** true sorts first (cmpBool). */
export function cmpBool(a: boolean, b: boolean): number {
  if (a === b) return 0;
  return b ? 1 : -1;
}

/** Applies comparators in sequence; the first non-zero result decides (orderedBy). */
export function orderedBy(...cmps: CmpFunc[]): CmpFunc {
  return (p1, p2) => {
    for (const cmp of cmps) {
      const r = cmp(p1, p2);
      if (r !== 0) return r;
    }
    return 0;
  };
}

/** Lower spec.priority first; none counts as 0 (priority). */
export const priority: CmpFunc = (p1, p2) => {
  const a = p1.spec.priority ?? 0;
  const b = p2.spec.priority ?? 0;
  return a === b ? 0 : a > b ? 1 : -1;
};

/** The pod's memory working set (memoryUsage); 0 when not reported. */
export function podMemoryUsage(stats: PodStatsSummary): number {
  return stats.memory?.workingSetBytes ?? 0;
}

/** Pods with no stats first, then pods using more memory than they request (exceedMemoryRequests). */
export function exceedMemoryRequests(stats: PodStatsFunc): CmpFunc {
  return (p1, p2) => {
    const s1 = stats(p1);
    const s2 = stats(p2);
    if (!s1 || !s2) return cmpBool(!s1, !s2);
    return cmpBool(
      podMemoryUsage(s1) > podRequest(p1, "memory"),
      podMemoryUsage(s2) > podRequest(p2, "memory"),
    );
  };
}

/** Larger (working set − memory request) first (memory). */
export function memory(stats: PodStatsFunc): CmpFunc {
  return (p1, p2) => {
    const s1 = stats(p1);
    const s2 = stats(p2);
    if (!s1 || !s2) return cmpBool(!s1, !s2);
    const a = podMemoryUsage(s1) - podRequest(p1, "memory");
    const b = podMemoryUsage(s2) - podRequest(p2, "memory");
    return b === a ? 0 : b > a ? 1 : -1;
  };
}

/** Larger process count first (process). */
export function process(stats: PodStatsFunc): CmpFunc {
  return (p1, p2) => {
    const s1 = stats(p1);
    const s2 = stats(p2);
    if (!s1 || !s2) return cmpBool(!s1, !s2);
    const a = s1.process_stats?.process_count ?? 0;
    const b = s2.process_stats?.process_count ?? 0;
    return b === a ? 0 : b > a ? 1 : -1;
  };
}

/** Volumes whose usage counts against the node filesystem: emptyDir (not Memory), hostPath, configMap, gitRepo. */
export function isLocalVolume(v: Volume): boolean {
  if (v.emptyDir) return v.emptyDir.medium !== "Memory";
  return !!(v.hostPath || v.configMap || v.gitRepo);
}

/** Disk usage of a pod in bytes and inodes over the chosen filesystems (podDiskUsage). */
export function podDiskUsage(
  stats: PodStatsSummary,
  pod: Pod,
  fsStatsToMeasure: readonly FsStatsType[],
): Record<DiskResource, number> {
  let bytes = 0;
  let inodes = 0;
  for (const c of stats.containers ?? []) {
    if (fsStatsToMeasure.includes("root")) {
      bytes += c.rootfs?.usedBytes ?? 0;
      inodes += c.rootfs?.inodesUsed ?? 0;
    }
    if (fsStatsToMeasure.includes("logs")) {
      bytes += c.logs?.usedBytes ?? 0;
      inodes += c.logs?.inodesUsed ?? 0;
    }
  }
  if (fsStatsToMeasure.includes("localVolumeSource")) {
    const local = new Set((pod.spec.volumes ?? []).filter(isLocalVolume).map((v) => v.name));
    for (const v of stats.volume ?? []) {
      if (!local.has(v.name)) continue;
      bytes += v.usedBytes ?? 0;
      inodes += v.inodesUsed ?? 0;
    }
  }
  return { "ephemeral-storage": bytes, inodes };
}

/** Pods with no stats first, then pods using more disk than they request (exceedDiskRequests). */
export function exceedDiskRequests(
  stats: PodStatsFunc,
  fsStatsToMeasure: readonly FsStatsType[],
  resource: DiskResource,
): CmpFunc {
  return (p1, p2) => {
    const s1 = stats(p1);
    const s2 = stats(p2);
    if (!s1 || !s2) return cmpBool(!s1, !s2);
    const u1 = podDiskUsage(s1, p1, fsStatsToMeasure)[resource];
    const u2 = podDiskUsage(s2, p2, fsStatsToMeasure)[resource];
    return cmpBool(u1 > podRequest(p1, resource), u2 > podRequest(p2, resource));
  };
}

/** Larger (disk usage − request) first (disk). */
export function disk(
  stats: PodStatsFunc,
  fsStatsToMeasure: readonly FsStatsType[],
  resource: DiskResource,
): CmpFunc {
  return (p1, p2) => {
    const s1 = stats(p1);
    const s2 = stats(p2);
    if (!s1 || !s2) return cmpBool(!s1, !s2);
    const a = podDiskUsage(s1, p1, fsStatsToMeasure)[resource] - podRequest(p1, resource);
    const b = podDiskUsage(s2, p2, fsStatsToMeasure)[resource] - podRequest(p2, resource);
    return b === a ? 0 : b > a ? 1 : -1;
  };
}
