import type { EvictionSignal } from "./eviction-signals.ts";

/** What is available of a signal's resource and the capacity it is measured against (signalObservation). */
export interface SignalObservation {
  available: number;
  capacity?: number;
  /** When the underlying stat was taken (ms since epoch), if known. */
  time?: number;
}
export type SignalObservations = Partial<Record<EvictionSignal, SignalObservation>>;

/** Summary API FsStats (k8s.io/kubelet stats/v1alpha1), the fields eviction reads. */
export interface FsStats {
  time?: string;
  availableBytes?: number;
  capacityBytes?: number;
  usedBytes?: number;
  inodesFree?: number;
  inodes?: number;
  inodesUsed?: number;
}
export interface MemoryStats {
  time?: string;
  availableBytes?: number;
  usageBytes?: number;
  workingSetBytes?: number;
  rssBytes?: number;
}
export interface ContainerStatsSummary {
  name: string;
  memory?: MemoryStats;
  rootfs?: FsStats;
  logs?: FsStats;
}
export interface VolumeStatsSummary extends FsStats {
  name: string;
}
export interface PodStatsSummary {
  podRef: { name: string; namespace?: string; uid: string };
  containers?: ContainerStatsSummary[];
  memory?: MemoryStats;
  volume?: VolumeStatsSummary[];
  "ephemeral-storage"?: FsStats;
  process_stats?: { process_count?: number };
}
/** Summary API NodeStats, the fields eviction reads. */
export interface NodeStatsSummary {
  nodeName?: string;
  memory?: MemoryStats;
  fs?: FsStats;
  runtime?: { imageFs?: FsStats; containerFs?: FsStats };
  rlimit?: { time?: string; maxpid?: number; curproc?: number };
  systemContainers?: { name: string; memory?: MemoryStats }[];
}
export interface StatsSummary {
  node: NodeStatsSummary;
  pods?: PodStatsSummary[];
}

function observation(available: number, capacity: number, time: string | undefined): SignalObservation {
  const t = time === undefined ? Number.NaN : Date.parse(time);
  return Number.isFinite(t) ? { available, capacity, time: t } : { available, capacity };
}

function fsObservation(
  out: SignalObservations,
  fs: FsStats | undefined,
  bytes: EvictionSignal,
  inodes: EvictionSignal,
): void {
  if (!fs) return;
  if (fs.availableBytes !== undefined && fs.capacityBytes !== undefined)
    out[bytes] = observation(fs.availableBytes, fs.capacityBytes, fs.time);
  if (fs.inodesFree !== undefined && fs.inodes !== undefined)
    out[inodes] = observation(fs.inodesFree, fs.inodes, fs.time);
}

/**
 * Signal observations from a stats summary (upstream `makeSignalObservations`): memory available and capacity
 * (available + working set), the kubepods cgroup for allocatableMemory, nodefs/imagefs/containerfs bytes and inodes,
 * and pids from the rlimit. A missing figure leaves its signal unobserved; it is skipped, not an error.
 */
export function makeSignalObservations(summary: StatsSummary): SignalObservations {
  const out: SignalObservations = {};
  const node = summary.node;
  const mem = node.memory;
  if (mem?.availableBytes !== undefined && mem.workingSetBytes !== undefined) {
    out["memory.available"] = observation(
      mem.availableBytes,
      mem.availableBytes + mem.workingSetBytes,
      mem.time,
    );
  }
  const pods = node.systemContainers?.find((c) => c.name === "pods")?.memory;
  if (pods?.availableBytes !== undefined && pods.workingSetBytes !== undefined) {
    out["allocatableMemory.available"] = observation(
      pods.availableBytes,
      pods.availableBytes + pods.workingSetBytes,
      pods.time,
    );
  }
  fsObservation(out, node.fs, "nodefs.available", "nodefs.inodesFree");
  fsObservation(out, node.runtime?.imageFs, "imagefs.available", "imagefs.inodesFree");
  fsObservation(out, node.runtime?.containerFs, "containerfs.available", "containerfs.inodesFree");
  const rl = node.rlimit;
  if (rl?.maxpid !== undefined && rl.curproc !== undefined) {
    out["pid.available"] = observation(rl.maxpid - rl.curproc, rl.maxpid, rl.time);
  }
  return out;
}

/**
 * Memory figures from raw cgroup numbers with the working-set rule: working set = usage − inactive_file (never
 * below 0); available = capacity − working set (never below 0). cgroup v1: usage = memory.usage_in_bytes,
 * inactive = memory.stat total_inactive_file; v2: memory.current and memory.stat inactive_file.
 */
export function memoryStatsFromCgroup(raw: {
  capacityBytes: number;
  usageBytes: number;
  inactiveFileBytes: number;
  rssBytes?: number;
}): MemoryStats {
  const workingSetBytes = Math.max(0, raw.usageBytes - raw.inactiveFileBytes);
  const out: MemoryStats = {
    usageBytes: raw.usageBytes,
    workingSetBytes,
    availableBytes: Math.max(0, raw.capacityBytes - workingSetBytes),
  };
  if (raw.rssBytes !== undefined) out.rssBytes = raw.rssBytes;
  return out;
}

/**
 * Memory figures from /proc/meminfo values (kB as the file prints them), for a node without a readable root
 * cgroup: usage = MemTotal − MemFree, inactive_file = Inactive(file), then the working-set rule.
 */
export function memoryStatsFromMeminfo(meminfoKb: Record<string, number>): MemoryStats {
  const kb = (k: string) => (meminfoKb[k] ?? 0) * 1024;
  const capacityBytes = kb("MemTotal");
  return memoryStatsFromCgroup({
    capacityBytes,
    usageBytes: capacityBytes - kb("MemFree"),
    inactiveFileBytes: kb("Inactive(file)"),
  });
}

/** statfs(2) figures of one filesystem as the kubelet reads them (cadvisor): f_bavail is what users may use. */
export interface StatfsResult {
  /** f_bsize / f_frsize. */
  blockSize: number;
  blocks: number;
  blocksFree: number;
  blocksAvailable: number;
  files: number;
  filesFree: number;
}

/** FsStats from statfs: capacity = blocks×bsize, available = bavail×bsize, used = (blocks − bfree)×bsize. */
export function fsStatsFromStatfs(s: StatfsResult): FsStats {
  return {
    capacityBytes: s.blocks * s.blockSize,
    availableBytes: s.blocksAvailable * s.blockSize,
    usedBytes: (s.blocks - s.blocksFree) * s.blockSize,
    inodes: s.files,
    inodesFree: s.filesFree,
    inodesUsed: s.files - s.filesFree,
  };
}
