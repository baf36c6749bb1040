import { readFileSync, statfsSync } from "node:fs";
import { totalmem } from "node:os";

export interface FsStats {
  capacityBytes: number;
  availableBytes: number;
  usedBytes: number;
  inodes: number;
  inodesFree: number;
  inodesUsed: number;
}

/** statfs of the filesystem holding `path`. */
export function fsStats(path: string): FsStats | undefined {
  try {
    const s = statfsSync(path);
    const capacityBytes = s.blocks * s.bsize;
    const availableBytes = s.bavail * s.bsize;
    return {
      capacityBytes,
      availableBytes,
      usedBytes: (s.blocks - s.bfree) * s.bsize,
      inodes: s.files,
      inodesFree: s.ffree,
      inodesUsed: s.files - s.ffree,
    };
  } catch {
    return undefined;
  }
}

function readNumber(path: string): number | undefined {
  try {
    const v = readFileSync(path, "utf8").trim();
    return v === "max" ? undefined : Number(v);
  } catch {
    return undefined;
  }
}

function statField(path: string, field: string): number | undefined {
  try {
    const line = readFileSync(path, "utf8")
      .split("\n")
      .find((l) => l.startsWith(`${field} `));
    return line ? Number(line.split(" ")[1]) : undefined;
  } catch {
    return undefined;
  }
}

export interface MemoryStats {
  capacityBytes: number;
  usageBytes: number;
  workingSetBytes: number;
  availableBytes: number;
}

/**
 * Node memory as the eviction manager sees it: working set = usage − inactive_file of the root cgroup
 * (v1: memory.usage_in_bytes − total_inactive_file; v2 via /proc/meminfo), available = capacity − working set.
 */
export function nodeMemoryStats(): MemoryStats {
  const capacity = totalmem();
  let usage = readNumber("/sys/fs/cgroup/memory/memory.usage_in_bytes");
  let inactive = statField("/sys/fs/cgroup/memory/memory.stat", "total_inactive_file");
  if (usage === undefined || inactive === undefined) {
    const info = readFileSync("/proc/meminfo", "utf8");
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, "m").exec(info)?.[1] ?? 0) * 1024;
    usage = kb("MemTotal") - kb("MemFree");
    inactive = kb("Inactive\\(file\\)");
  }
  const workingSet = Math.max(0, usage - inactive);
  return {
    capacityBytes: capacity,
    usageBytes: usage,
    workingSetBytes: workingSet,
    availableBytes: Math.max(0, capacity - workingSet),
  };
}

/** rlimit view for pid.available: kernel pid_max and the number of processes. */
export function pidStats(): { maxpid: number; curproc: number } {
  const maxpid = readNumber("/proc/sys/kernel/pid_max") ?? 32768;
  let curproc = 0;
  try {
    const loadavg = readFileSync("/proc/loadavg", "utf8").split(" ")[3] ?? "0/0";
    curproc = Number(loadavg.split("/")[1]);
  } catch {}
  return { maxpid, curproc };
}

/** Memory working set of a cgroup path (v1 memory controller), for pod stats. */
export function cgroupMemoryWorkingSet(cgroupPath: string): number | undefined {
  const base = `/sys/fs/cgroup/memory${cgroupPath}`;
  const usage = readNumber(`${base}/memory.usage_in_bytes`);
  const inactive = statField(`${base}/memory.stat`, "total_inactive_file");
  if (usage === undefined) return undefined;
  return Math.max(0, usage - (inactive ?? 0));
}
