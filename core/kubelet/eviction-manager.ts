import type { Pod, PodCondition, PodStatus } from "../api/mod.ts";
import { formatQuantity, parseQuantity, quantityFromInt, quantityValue } from "../quantity/mod.ts";
import type { FsStatsType, PodStatsFunc } from "./eviction-comparators.ts";
import type { EvictionConfig } from "./eviction-config.ts";
import { podToleratesTaint } from "./eviction-node-conditions.ts";
import {
  makeSignalObservations,
  type PodStatsSummary,
  type SignalObservations,
  type StatsSummary,
} from "./eviction-observations.ts";
import { type EvictionSignal, type NodeConditionType, signalToResource } from "./eviction-signals.ts";
import { type Threshold, thresholdQuantity } from "./eviction-threshold.ts";
import {
  mergeThresholds,
  type NodeConditionsObservedAt,
  nodeConditions,
  nodeConditionsLastObservedAt,
  nodeConditionsObservedSince,
  sortByEvictionPriority,
  type ThresholdsObservedAt,
  thresholdsFirstObservedAt,
  thresholdsMet,
  thresholdsMetGracePeriod,
} from "./eviction-thresholds.ts";
import { isCriticalPod } from "./pod-critical.ts";
import { computePodQOS } from "./qos.ts";
import { rankDiskPressureFunc } from "./rank-disk-pressure.ts";
import { rankMemoryPressure } from "./rank-memory-pressure.ts";
import { rankPIDPressure } from "./rank-pid-pressure.ts";

/** Where images and writable layers live: one filesystem, a separate imagefs, or split image/container fs. */
export type ImageFsLayout = "shared" | "separate" | "split";
/** Node-level reclaim the daemon performs before any pod is evicted. */
export type ReclaimFunc = "deleteAllUnusedContainers" | "deleteUnusedImages";

/** The eviction reason on pod status and events. */
export const evictionReason = "Evicted";

/** One pod to evict: kill it with this grace period and set `status` on it. */
export interface PodEviction {
  pod: Pod;
  gracePeriodSeconds: number;
  /** The signal (or local-storage limit) that caused it, for kubelet_evictions{eviction_signal}. */
  signal: EvictionSignal | "ephemeralcontainerfs.limit" | "ephemeralpodfs.limit" | "emptydirfs.limit";
  message: string;
  /** Event annotations (offending_containers, offending_containers_usage, starved_resource). */
  annotations: Record<string, string>;
  /** Pod status to report: phase Failed, reason Evicted, the message, and DisruptionTarget when set. */
  status: PodStatus;
}

export type EvictionStep =
  | { action: "none"; reason: string }
  | { action: "reclaim"; signal: EvictionSignal; resource: string; reclaim: ReclaimFunc[] }
  | ({ action: "evict"; evictions: PodEviction[] } & PodEviction);

export interface EvictionManagerOptions {
  config: EvictionConfig;
  imageFs?: ImageFsLayout;
  /** Evict pods over emptyDir sizeLimit / ephemeral-storage limits (LocalStorageCapacityIsolation, on upstream). */
  localStorageCapacityIsolation?: boolean;
}

export interface SynchronizeInput {
  now: number;
  summary: StatsSummary;
  /** The active pods (candidates for eviction). */
  pods: readonly Pod[];
}

const hardGrace = 0;

function bin(n: number): string {
  return formatQuantity(quantityFromInt(Math.trunc(n), "BinarySI"));
}

/** The status an evicted pod gets (TerminatePodAbnormally with Evict). */
export function evictedPodStatus(message: string, condition?: PodCondition): PodStatus {
  return {
    phase: "Failed",
    reason: evictionReason,
    message,
    ...(condition ? { conditions: [condition] } : {}),
  };
}

/** containerfs thresholds derived from nodefs (one fs or split) or imagefs (writable layers on imagefs). */
export function updateContainerFsThresholds(
  thresholds: readonly Threshold[],
  layout: ImageFsLayout,
): Threshold[] {
  const out = thresholds.filter((t) => !t.signal.startsWith("containerfs."));
  const from = layout === "separate" ? "imagefs." : "nodefs.";
  for (const t of thresholds) {
    if (!t.signal.startsWith(from)) continue;
    const signal = t.signal.endsWith(".available") ? "containerfs.available" : "containerfs.inodesFree";
    out.push({ ...t, signal });
  }
  return out;
}

function rankFuncs(
  layout: ImageFsLayout,
): Partial<Record<EvictionSignal, (p: readonly Pod[], s: PodStatsFunc) => Pod[]>> {
  const all: FsStatsType[] = ["root", "logs", "localVolumeSource"];
  const local: FsStatsType[] = ["logs", "localVolumeSource"];
  const diskRank = (fs: FsStatsType[]) => ({
    available: rankDiskPressureFunc(fs, "ephemeral-storage"),
    inodes: rankDiskPressureFunc(fs, "inodes"),
  });
  const [node, image, container] =
    layout === "shared"
      ? [diskRank(all), diskRank(all), diskRank(all)]
      : layout === "separate"
        ? [diskRank(local), diskRank(["root"]), diskRank(["root"])]
        : [diskRank(all), diskRank([]), diskRank(all)];
  return {
    "memory.available": rankMemoryPressure,
    "allocatableMemory.available": rankMemoryPressure,
    "pid.available": rankPIDPressure,
    "nodefs.available": node.available,
    "nodefs.inodesFree": node.inodes,
    "imagefs.available": image.available,
    "imagefs.inodesFree": image.inodes,
    "containerfs.available": container.available,
    "containerfs.inodesFree": container.inodes,
  };
}

function reclaimFuncs(layout: ImageFsLayout, signal: EvictionSignal): ReclaimFunc[] {
  const both: ReclaimFunc[] = ["deleteAllUnusedContainers", "deleteUnusedImages"];
  const fs = signal.split(".")[0];
  // memory, pid and the derived containerfs signals have no reclaim function upstream
  if (fs !== "nodefs" && fs !== "imagefs") return [];
  if (layout === "shared") return both;
  if (layout === "separate") return fs === "nodefs" ? [] : both;
  return fs === "imagefs" ? ["deleteUnusedImages"] : ["deleteAllUnusedContainers"];
}

function statsFuncFor(summary: StatsSummary): PodStatsFunc {
  const byUid = new Map<string, PodStatsSummary>();
  for (const p of summary.pods ?? []) byUid.set(p.podRef.uid, p);
  return (pod) => byUid.get(pod.metadata.uid ?? "");
}

interface Pending {
  threshold: Threshold;
  resource: string;
  thresholds: Threshold[];
  observations: SignalObservations;
  stats: PodStatsFunc;
  pods: readonly Pod[];
}

/**
 * The eviction manager's control loop (eviction.managerImpl.synchronize) as a pure state machine. Every
 * evictionMonitoringPeriod the daemon calls `synchronize` with fresh stats; the answer is nothing to do, a
 * node-level reclaim to run first (then `afterReclaim` with stats taken after it), or the one pod to evict.
 */
export class EvictionManager {
  readonly config: EvictionConfig;
  readonly layout: ImageFsLayout;
  readonly localStorageCapacityIsolation: boolean;
  #thresholdsMet: Threshold[] = [];
  #firstObservedAt: ThresholdsObservedAt = new Map();
  #conditionsObservedAt: NodeConditionsObservedAt = new Map();
  #conditions: NodeConditionType[] = [];
  #lastObservations: SignalObservations = {};
  #pending: Pending | undefined;
  readonly #rank: ReturnType<typeof rankFuncs>;

  constructor(options: EvictionManagerOptions) {
    this.layout = options.imageFs ?? "shared";
    this.config = {
      ...options.config,
      thresholds: updateContainerFsThresholds(options.config.thresholds, this.layout),
    };
    this.localStorageCapacityIsolation = options.localStorageCapacityIsolation ?? true;
    this.#rank = rankFuncs(this.layout);
  }

  /** The observations of the last pass (for logs and the eviction_stats_age_seconds metric). */
  lastObservations(): SignalObservations {
    return { ...this.#lastObservations };
  }

  /** The thresholds met (grace periods passed) at the last pass. */
  thresholdsMet(): Threshold[] {
    return [...this.#thresholdsMet];
  }

  /** The pressure conditions currently reported. */
  nodeConditions(): NodeConditionType[] {
    return [...this.#conditions];
  }
  isUnderMemoryPressure(): boolean {
    return this.#conditions.includes("MemoryPressure");
  }
  isUnderDiskPressure(): boolean {
    return this.#conditions.includes("DiskPressure");
  }
  isUnderPIDPressure(): boolean {
    return this.#conditions.includes("PIDPressure");
  }

  /**
   * Pod admission under pressure (Admit): critical pods always; under MemoryPressure alone, pods that are not
   * BestEffort or that tolerate the memory-pressure taint; under any other pressure, none.
   */
  admit(pod: Pod): { admit: true } | { admit: false; reason: string; message: string } {
    const conds = this.#conditions;
    if (conds.length === 0 || isCriticalPod(pod)) return { admit: true };
    if (conds.length === 1 && conds[0] === "MemoryPressure") {
      if (computePodQOS(pod) !== "BestEffort") return { admit: true };
      if (podToleratesTaint(pod, { key: "node.kubernetes.io/memory-pressure", effect: "NoSchedule" }))
        return { admit: true };
    }
    return {
      admit: false,
      reason: evictionReason,
      message: `The node had condition: [${conds.join(" ")}]. `,
    };
  }

  /** One pass of the control loop. */
  synchronize(input: SynchronizeInput): EvictionStep {
    this.#pending = undefined;
    const { now } = input;
    if (this.config.thresholds.length === 0 && !this.localStorageCapacityIsolation)
      return { action: "none", reason: "no thresholds configured" };
    const observations = makeSignalObservations(input.summary);
    const stats = statsFuncFor(input.summary);
    let thresholds = thresholdsMet(this.config.thresholds, observations, false);
    if (this.#thresholdsMet.length > 0)
      thresholds = mergeThresholds(thresholds, thresholdsMet(this.#thresholdsMet, observations, true));
    const firstObservedAt = thresholdsFirstObservedAt(thresholds, this.#firstObservedAt, now);
    const lastObservedAt = nodeConditionsLastObservedAt(
      nodeConditions(thresholds),
      this.#conditionsObservedAt,
      now,
    );
    this.#conditions = nodeConditionsObservedSince(
      lastObservedAt,
      this.config.pressureTransitionPeriodMs,
      now,
    );
    thresholds = thresholdsMetGracePeriod(firstObservedAt, now);
    this.#firstObservedAt = firstObservedAt;
    this.#conditionsObservedAt = lastObservedAt;
    this.#thresholdsMet = thresholds;
    thresholds = thresholds.filter((t) => {
      const obs = observations[t.signal];
      if (!obs) return false;
      const last = this.#lastObservations[t.signal];
      return !last || obs.time === undefined || last.time === undefined || obs.time > last.time;
    });
    this.#lastObservations = observations;

    if (this.localStorageCapacityIsolation) {
      const local = this.#localStorageEvictions(input.pods, stats);
      if (local.length > 0) return { action: "evict", evictions: local, ...local[0]! };
    }
    if (thresholds.length === 0) return { action: "none", reason: "no resources are starved" };
    const threshold = sortByEvictionPriority(thresholds)[0]!;
    const resource = signalToResource[threshold.signal];
    this.#pending = { threshold, resource, thresholds, observations, stats, pods: input.pods };
    const reclaim = reclaimFuncs(this.layout, threshold.signal);
    if (reclaim.length > 0) return { action: "reclaim", signal: threshold.signal, resource, reclaim };
    return this.#evict(this.#pending);
  }

  /**
   * Continues the pass after the daemon ran the reclaim functions: with stats taken after the reclaim, no pod
   * is evicted when no threshold (with min-reclaim) is met any more; otherwise the ranking decides.
   */
  afterReclaim(input: { now?: number; summary: StatsSummary; pods?: readonly Pod[] }): EvictionStep {
    const pending = this.#pending;
    this.#pending = undefined;
    if (!pending) return { action: "none", reason: "no reclaim pending" };
    const observations = makeSignalObservations(input.summary);
    if (thresholdsMet(this.config.thresholds, observations, true).length === 0)
      return { action: "none", reason: `reclaimed ${pending.resource} without evicting pods` };
    return this.#evict(input.pods ? { ...pending, pods: input.pods } : pending);
  }

  #evict(p: Pending): EvictionStep {
    const rank = this.#rank[p.threshold.signal];
    if (!rank) return { action: "none", reason: `no ranking function for ${p.threshold.signal}` };
    if (p.pods.length === 0)
      return { action: "none", reason: "thresholds met, but no pods are active to evict" };
    const ranked = rank(p.pods, p.stats);
    for (const pod of ranked) {
      if (isCriticalPod(pod)) continue;
      const grace = p.threshold.gracePeriodMs === 0 ? hardGrace : this.#softGrace(pod);
      const { message, annotations } = this.#message(p, pod);
      const condition: PodCondition = {
        type: "DisruptionTarget",
        status: "True",
        reason: "TerminationByKubelet",
        message,
      };
      const eviction: PodEviction = {
        pod,
        gracePeriodSeconds: grace,
        signal: p.threshold.signal,
        message,
        annotations,
        status: evictedPodStatus(message, condition),
      };
      return { action: "evict", evictions: [eviction], ...eviction };
    }
    return { action: "none", reason: "unable to evict any pods from the node" };
  }

  #softGrace(pod: Pod): number {
    const max = this.config.maxPodGracePeriodSeconds;
    const own = pod.spec.terminationGracePeriodSeconds ?? 30;
    return Math.max(0, Math.min(max, own));
  }

  #message(p: Pending, pod: Pod): { message: string; annotations: Record<string, string> } {
    const resource = p.resource;
    let message = `The node was low on resource: ${resource}. `;
    for (const t of p.thresholds) {
      if (signalToResource[t.signal] !== resource) continue;
      const obs = p.observations[t.signal];
      if (!obs) continue;
      message += `Threshold quantity: ${bin(thresholdQuantity(t.value, obs.capacity ?? 0))}, available: ${bin(obs.available)}. `;
      break;
    }
    const containers: string[] = [];
    const usages: string[] = [];
    const s = p.stats(pod);
    for (const cs of s?.containers ?? []) {
      const c = pod.spec.containers.find((x) => x.name === cs.name);
      if (!c) continue;
      const rawReq = c.resources?.requests?.[resource];
      const request = rawReq === undefined ? 0 : quantityValue(parseQuantity(rawReq));
      let usage: number | undefined;
      if (resource === "memory") usage = cs.memory?.workingSetBytes;
      else if (
        resource === "ephemeral-storage" &&
        cs.rootfs?.usedBytes !== undefined &&
        cs.logs?.usedBytes !== undefined
      )
        usage = cs.rootfs.usedBytes + cs.logs.usedBytes;
      if (usage !== undefined && usage > request) {
        const req = rawReq === undefined ? "0" : formatQuantity(parseQuantity(rawReq));
        message += `Container ${c.name} was using ${bin(usage)}, request is ${req}, has larger consumption of ${resource}. `;
        containers.push(c.name);
        usages.push(bin(usage));
      }
    }
    return {
      message,
      annotations: {
        offending_containers: containers.join(","),
        offending_containers_usage: usages.join(","),
        starved_resource: resource,
      },
    };
  }

  #localStorageEvictions(pods: readonly Pod[], stats: PodStatsFunc): PodEviction[] {
    const out: PodEviction[] = [];
    const evict = (pod: Pod, signal: PodEviction["signal"], message: string) => {
      if (isCriticalPod(pod)) return false;
      out.push({
        pod,
        gracePeriodSeconds: 0,
        signal,
        message,
        annotations: {},
        status: evictedPodStatus(message),
      });
      return true;
    };
    for (const pod of pods) {
      const s = stats(pod);
      if (!s) continue;
      const used = new Map((s.volume ?? []).map((v) => [v.name, v.usedBytes]));
      let done = false;
      for (const v of pod.spec.volumes ?? []) {
        const limit = v.emptyDir?.sizeLimit;
        const u = used.get(v.name);
        if (!limit || u === undefined) continue;
        const q = parseQuantity(limit);
        if (quantityValue(q) > 0 && u > quantityValue(q)) {
          done = true;
          evict(
            pod,
            "emptydirfs.limit",
            `Usage of EmptyDir volume "${v.name}" exceeds the limit "${formatQuantity(q)}". `,
          );
          break;
        }
      }
      if (done) continue;
      let podLimit = 0;
      let anyLimited = false;
      const containerLimits = new Map<string, number>();
      for (const c of pod.spec.containers) {
        const raw = c.resources?.limits?.["ephemeral-storage"];
        if (raw === undefined) continue;
        anyLimited = true;
        const v = quantityValue(parseQuantity(raw));
        podLimit += v;
        if (v !== 0) containerLimits.set(c.name, v);
      }
      const podUsed = s["ephemeral-storage"]?.usedBytes ?? 0;
      if (anyLimited && podUsed > podLimit) {
        evict(
          pod,
          "ephemeralpodfs.limit",
          `Pod ephemeral local storage usage exceeds the total limit of containers ${bin(podLimit)}. `,
        );
        continue;
      }
      for (const cs of s.containers ?? []) {
        const limit = containerLimits.get(cs.name);
        if (limit === undefined) continue;
        let u = cs.logs?.usedBytes ?? 0;
        if (this.layout === "shared") u += cs.rootfs?.usedBytes ?? 0;
        if (u > limit) {
          evict(
            pod,
            "ephemeralcontainerfs.limit",
            `Container ${cs.name} exceeded its local ephemeral storage limit "${bin(limit)}". `,
          );
          break;
        }
      }
    }
    return out;
  }
}
