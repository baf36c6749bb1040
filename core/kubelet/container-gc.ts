/** Dead-container GC policy (--minimum-container-ttl-duration, --maximum-dead-containers-per-container, --maximum-dead-containers). */
export interface ContainerGCPolicy {
  /** Containers created less than this long ago are kept. */
  minAgeMs: number;
  /** Dead containers kept per (pod, container name); < 0 = no limit. */
  maxPerPodContainer: number;
  /** Dead containers kept on the node; < 0 = no limit. */
  maxContainers: number;
}

/** Upstream defaults: MinAge 0, MaxPerPodContainer 1, MaxContainers −1. */
export const defaultContainerGCPolicy: Readonly<ContainerGCPolicy> = Object.freeze({
  minAgeMs: 0,
  maxPerPodContainer: 1,
  maxContainers: -1,
});
/** How often container GC runs (ContainerGCPeriod). */
export const containerGCPeriodMs = 60_000;

/** A container as the runtime lists it (CRI Container with the kubelet's labels decoded). */
export interface GCContainer {
  id: string;
  podUid: string;
  name: string;
  state: "created" | "running" | "exited" | "unknown";
  createdAt: number;
  /** ContainerMetadata.attempt (the restart count). */
  attempt: number;
  sandboxId?: string;
}

/** A pod sandbox as the runtime lists it. */
export interface GCSandbox {
  id: string;
  podUid: string;
  ready: boolean;
  createdAt: number;
  attempt: number;
}

export interface ContainerGCInput {
  containers: readonly GCContainer[];
  sandboxes: readonly GCSandbox[];
  policy: ContainerGCPolicy;
  now: number;
  /** Every pod source has been seen once (only then are deleted pods known for sure). */
  allSourcesReady: boolean;
  /** Also clear pods that are terminated but not deleted (the eviction reclaim path sets this). */
  evictTerminatedPods: boolean;
  isPodDeleted(uid: string): boolean;
  isPodTerminated(uid: string): boolean;
  /** Names of the folders under /var/log/pods ("<namespace>_<name>_<uid>"). */
  podLogDirs?: readonly string[];
}

/** What to remove, in order. `kill` = the container is in unknown state: stop it before removing it. */
export interface ContainerGCPlan {
  containers: { id: string; kill: boolean }[];
  sandboxes: string[];
  podLogDirs: string[];
}

interface Info {
  id: string;
  createdAt: number;
  attempt: number;
  unknown: boolean;
}

/** Newest first: higher attempt, then later creation (byAttempt). */
function byAttempt(
  a: { attempt: number; createdAt: number },
  b: { attempt: number; createdAt: number },
): number {
  return b.attempt - a.attempt || b.createdAt - a.createdAt;
}

/**
 * Which dead containers, sandboxes and pod log folders to remove (kuberuntime containerGC.GarbageCollect):
 * containers not running and older than MinAge, grouped by (pod UID, container name); all of a deleted (or, with
 * evictTerminatedPods, terminated) pod's; then at most MaxPerPodContainer per group; then, over MaxContainers,
 * an equal share per group (at least 1) and the oldest overall. Sandboxes: not ready and without containers,
 * all for deleted pods, all but the newest otherwise. Log folders of deleted pods once all sources are ready.
 */
export function planContainerGC(input: ContainerGCInput): ContainerGCPlan {
  const plan: ContainerGCPlan = { containers: [], sandboxes: [], podLogDirs: [] };
  const { policy } = input;
  const newestGCTime = input.now - policy.minAgeMs;
  const units = new Map<string, { uid: string; list: Info[] }>();
  for (const c of input.containers) {
    if (c.state === "running") continue;
    if (newestGCTime < c.createdAt) continue;
    const key = `${c.podUid}\u0000${c.name}`;
    let unit = units.get(key);
    if (!unit) {
      unit = { uid: c.podUid, list: [] };
      units.set(key, unit);
    }
    unit.list.push({ id: c.id, createdAt: c.createdAt, attempt: c.attempt, unknown: c.state === "unknown" });
  }
  const removeOldestN = (list: Info[], n: number): Info[] => {
    const keep = list.length - n;
    const sorted = keep > 0 ? [...list].sort(byAttempt) : list;
    for (let i = sorted.length - 1; i >= Math.max(keep, 0); i--) {
      const c = sorted[i]!;
      plan.containers.push({ id: c.id, kill: c.unknown });
    }
    return sorted.slice(0, Math.max(keep, 0));
  };
  const gone = (uid: string) =>
    input.isPodDeleted(uid) || (input.evictTerminatedPods && input.isPodTerminated(uid));
  if (input.allSourcesReady) {
    for (const [key, unit] of units) {
      if (gone(unit.uid)) {
        removeOldestN(unit.list, unit.list.length);
        units.delete(key);
      }
    }
  }
  const enforcePerUnit = (max: number) => {
    for (const unit of units.values()) {
      const n = unit.list.length - max;
      if (n > 0) unit.list = removeOldestN(unit.list, n);
    }
  };
  if (policy.maxPerPodContainer >= 0) enforcePerUnit(policy.maxPerPodContainer);
  const count = () => [...units.values()].reduce((s, u) => s + u.list.length, 0);
  if (policy.maxContainers >= 0 && count() > policy.maxContainers) {
    enforcePerUnit(Math.max(1, Math.floor(policy.maxContainers / units.size)));
    const total = count();
    if (total > policy.maxContainers) {
      const flat = [...units.values()].flatMap((u) => u.list).sort(byAttempt);
      removeOldestN(flat, total - policy.maxContainers);
    }
  }

  const withContainers = new Set(input.containers.map((c) => c.sandboxId).filter((x): x is string => !!x));
  const byPod = new Map<string, (GCSandbox & { active: boolean })[]>();
  for (const s of input.sandboxes) {
    const list = byPod.get(s.podUid) ?? [];
    list.push({ ...s, active: s.ready || withContainers.has(s.id) });
    byPod.set(s.podUid, list);
  }
  for (const [uid, list] of byPod) {
    const toRemove = gone(uid) ? list.length : list.length - 1;
    const keep = list.length - toRemove;
    const sorted = keep > 0 ? [...list].sort(byAttempt) : list;
    for (let i = sorted.length - 1; i >= keep; i--)
      if (!sorted[i]!.active) plan.sandboxes.push(sorted[i]!.id);
  }

  if (input.allSourcesReady) {
    for (const dir of input.podLogDirs ?? []) {
      const parts = dir.split("_");
      if (input.isPodDeleted(parts[parts.length - 1]!)) plan.podLogDirs.push(dir);
    }
  }
  return plan;
}
