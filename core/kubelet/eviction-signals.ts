/** The eviction signals of the kubelet (pkg/kubelet/eviction/api). */
export const evictionSignals = [
  "memory.available",
  "allocatableMemory.available",
  "nodefs.available",
  "nodefs.inodesFree",
  "imagefs.available",
  "imagefs.inodesFree",
  "containerfs.available",
  "containerfs.inodesFree",
  "pid.available",
] as const;
export type EvictionSignal = (typeof evictionSignals)[number];

/** Signals a user may set thresholds for; containerfs.* are derived from nodefs/imagefs. */
export const userEvictionSignals: readonly EvictionSignal[] = evictionSignals.filter(
  (s) => !s.startsWith("containerfs."),
);

export function isEvictionSignal(s: string): s is EvictionSignal {
  return (evictionSignals as readonly string[]).includes(s);
}

export type NodeConditionType = "MemoryPressure" | "DiskPressure" | "PIDPressure";

/** Which node condition each signal drives (signalToNodeCondition). */
export const signalToNodeCondition: Readonly<Record<EvictionSignal, NodeConditionType>> = {
  "memory.available": "MemoryPressure",
  "allocatableMemory.available": "MemoryPressure",
  "nodefs.available": "DiskPressure",
  "nodefs.inodesFree": "DiskPressure",
  "imagefs.available": "DiskPressure",
  "imagefs.inodesFree": "DiskPressure",
  "containerfs.available": "DiskPressure",
  "containerfs.inodesFree": "DiskPressure",
  "pid.available": "PIDPressure",
};

/** The resource each signal is short of (signalToResource), used in eviction messages. */
export const signalToResource: Readonly<Record<EvictionSignal, string>> = {
  "memory.available": "memory",
  "allocatableMemory.available": "memory",
  "nodefs.available": "ephemeral-storage",
  "nodefs.inodesFree": "inodes",
  "imagefs.available": "ephemeral-storage",
  "imagefs.inodesFree": "inodes",
  "containerfs.available": "ephemeral-storage",
  "containerfs.inodesFree": "inodes",
  "pid.available": "pids",
};

/** The taint the node-lifecycle controller puts on a node with each condition (TaintNodesByCondition). */
export const nodeConditionTaint: Readonly<Record<NodeConditionType, string>> = {
  MemoryPressure: "node.kubernetes.io/memory-pressure",
  DiskPressure: "node.kubernetes.io/disk-pressure",
  PIDPressure: "node.kubernetes.io/pid-pressure",
};
