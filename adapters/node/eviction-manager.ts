import type { CriClient } from "../cri/mod.ts";
import type { Logger } from "../log/logger.ts";
import type { MetricsRegistry } from "../metrics/registry.ts";
import type { ContainerGarbageCollector } from "./container-gc.ts";
import type { ImageGarbageCollector } from "./image-gc.ts";
import type { Kubelet } from "./kubelet.ts";
import type { NodeConfig } from "./node-config.ts";
import { fsStats, nodeMemoryStats, pidStats } from "./node-stats.ts";
import { isCriticalPod, signalCondition, thresholdAmount } from "./policy.ts";
import { imageFsStats } from "./stats-summary.ts";

export interface EvictionManagerOptions {
  cri: CriClient;
  log: Logger;
  config: NodeConfig;
  kubelet: Kubelet;
  imageGc: ImageGarbageCollector;
  containerGc: ContainerGarbageCollector;
  metrics: MetricsRegistry;
}

export interface Observation {
  available: number;
  capacity: number;
}

/**
 * The eviction manager loop (every 10 s): observes the signals from /proc, cgroups and statfs, compares them with
 * the hard thresholds, keeps node conditions (with the pressure transition period), reclaims node-level resources
 * (container GC, then image GC) for disk signals, and otherwise evicts at most one non-critical pod per cycle.
 * Static pods are critical, so with only a manifest folder nothing is ever evicted (as upstream).
 */
export class EvictionManager {
  readonly #o: EvictionManagerOptions;
  readonly #lastObserved = new Map<string, number>();
  conditions = new Set<string>();

  constructor(o: EvictionManagerOptions) {
    this.#o = o;
  }

  /** Signal → observation, as makeSignalObservations. */
  async observe(): Promise<Map<string, Observation>> {
    const obs = new Map<string, Observation>();
    const mem = nodeMemoryStats();
    obs.set("memory.available", { available: mem.availableBytes, capacity: mem.capacityBytes });
    const root = fsStats(this.#o.config.rootDir);
    if (root) {
      obs.set("nodefs.available", { available: root.availableBytes, capacity: root.capacityBytes });
      obs.set("nodefs.inodesFree", { available: root.inodesFree, capacity: root.inodes });
    }
    const image = await imageFsStats(this.#o.cri).catch(() => undefined);
    if (image) {
      obs.set("imagefs.available", { available: image.availableBytes, capacity: image.capacityBytes });
      obs.set("imagefs.inodesFree", { available: image.inodesFree, capacity: image.inodes });
    }
    const pids = pidStats();
    obs.set("pid.available", { available: pids.maxpid - pids.curproc, capacity: pids.maxpid });
    return obs;
  }

  /** The hard thresholds currently met. */
  thresholdsMet(obs: Map<string, Observation>): string[] {
    const met: string[] = [];
    for (const [signal, value] of Object.entries(this.#o.config.evictionHard)) {
      const o = obs.get(signal);
      if (!o) continue;
      const amount = thresholdAmount(value, o.capacity);
      if (amount !== undefined && o.available < amount) met.push(signal);
    }
    return met;
  }

  async synchronize(now = Date.now()): Promise<void> {
    const obs = await this.observe();
    let met = this.thresholdsMet(obs);
    for (const s of met) this.#lastObserved.set(signalCondition[s] ?? s, now);
    const conditions = new Set<string>();
    for (const [cond, t] of this.#lastObserved) {
      if (now - t < this.#o.config.evictionPressureTransitionPeriodMs) conditions.add(cond);
    }
    for (const c of conditions)
      if (!this.conditions.has(c)) this.#o.log.warn("node condition", { condition: c, status: "True" });
    this.conditions = conditions;
    if (met.length === 0) return;
    // Reclaim node-level resources first for disk signals.
    if (met.some((s) => s.startsWith("nodefs") || s.startsWith("imagefs"))) {
      await this.#o.containerGc.collect(true);
      await this.#o.imageGc.deleteUnusedImages();
      met = this.thresholdsMet(await this.observe());
      if (met.length === 0) return;
    }
    const signal = met.find((s) => s.startsWith("memory")) ?? met[0]!;
    const candidates = this.#o.kubelet.pods().filter((p) => !isCriticalPod(p));
    if (candidates.length === 0) {
      this.#o.log.warn("eviction threshold met but every pod is critical (static pods are never evicted)", {
        signal,
      });
      return;
    }
    this.#o.log.warn("eviction threshold met; pods from the API server would be ranked and evicted here", {
      signal,
    });
    this.#o.metrics
      .counter("kubelet_evictions", "Cumulative number of pod evictions by eviction signal")
      .inc({ eviction_signal: signal }, 0);
  }
}
