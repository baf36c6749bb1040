import {
  EvictionManager as CoreEvictionManager,
  type EvictionConfig,
  type EvictionStep,
  evictionConfigFromKubeletConfiguration,
  type StatsSummary,
} from "../../core/kubelet/mod.ts";
import type { CriClient } from "../cri/mod.ts";
import type { Logger } from "../log/logger.ts";
import type { MetricsRegistry } from "../metrics/registry.ts";
import type { ContainerGarbageCollector } from "./container-gc.ts";
import type { ImageGarbageCollector } from "./image-gc.ts";
import type { Kubelet } from "./kubelet.ts";
import type { NodeConfig } from "./node-config.ts";
import { fsStats, nodeMemoryStats, pidStats } from "./node-stats.ts";
import { imageFsStats } from "./stats-summary.ts";

/** The eviction settings of a node config, parsed and validated by the core (errors name the field). */
export function evictionConfigOf(config: NodeConfig): EvictionConfig {
  return evictionConfigFromKubeletConfiguration({
    evictionHard: config.evictionHard,
    evictionSoft: config.evictionSoft,
    evictionSoftGracePeriod: config.evictionSoftGracePeriod,
    evictionMinimumReclaim: config.evictionMinimumReclaim,
    evictionPressureTransitionPeriod: `${Math.round(config.evictionPressureTransitionPeriodMs / 1000)}s`,
  });
}

export interface EvictionManagerOptions {
  cri: CriClient;
  log: Logger;
  config: NodeConfig;
  kubelet: Kubelet;
  imageGc: ImageGarbageCollector;
  containerGc: ContainerGarbageCollector;
  metrics: MetricsRegistry;
}

/**
 * The eviction manager loop (every 10 s). The decisions — thresholds met, grace periods, node conditions with the
 * pressure transition period, reclaim first, ranking, the one pod to evict — are core/kubelet's EvictionManager;
 * this adapter feeds it real signals (/proc/meminfo and the root memory cgroup, statfs of the root and image
 * filesystems, inodes, pid_max vs processes) and carries out the reclaim (container GC, image GC) it asks for.
 * Static pods are critical, so with a manifest folder alone the core never picks a pod (as upstream).
 */
export class EvictionManager {
  readonly #o: EvictionManagerOptions;
  readonly #core: CoreEvictionManager;
  readonly #evictions;
  conditions = new Set<string>();

  constructor(o: EvictionManagerOptions) {
    this.#o = o;
    this.#core = new CoreEvictionManager({
      config: evictionConfigOf(o.config),
      localStorageCapacityIsolation: false,
    });
    this.#evictions = o.metrics.counter(
      "kubelet_evictions",
      "Cumulative number of pod evictions by eviction signal",
    );
  }

  /** The node part of /stats/summary the core observes signals from. */
  async summary(): Promise<StatsSummary> {
    const time = new Date().toISOString();
    const mem = nodeMemoryStats();
    const root = fsStats(this.#o.config.rootDir);
    const image = await imageFsStats(this.#o.cri).catch(() => undefined);
    const pids = pidStats();
    return {
      node: {
        nodeName: this.#o.config.nodeName,
        memory: {
          time,
          availableBytes: mem.availableBytes,
          workingSetBytes: mem.workingSetBytes,
          usageBytes: mem.usageBytes,
        },
        ...(root ? { fs: { time, ...root } } : {}),
        ...(image ? { runtime: { imageFs: { time, ...image } } } : {}),
        rlimit: { time, maxpid: pids.maxpid, curproc: pids.curproc },
      },
      pods: [],
    };
  }

  async synchronize(now = Date.now()): Promise<EvictionStep> {
    // Active pods only: evicted and finished pods are no candidates (and no longer use anything).
    const pods = this.#o.kubelet
      .pods()
      .filter((p) => p.status?.phase !== "Failed" && p.status?.phase !== "Succeeded");
    let step = this.#core.synchronize({ now, summary: await this.summary(), pods });
    const conditions = new Set<string>(this.#core.nodeConditions());
    for (const c of conditions)
      if (!this.conditions.has(c)) this.#o.log.warn("node condition", { condition: c, status: "True" });
    for (const c of this.conditions)
      if (!conditions.has(c)) this.#o.log.info("node condition", { condition: c, status: "False" });
    this.conditions = conditions;
    if (step.action === "reclaim") {
      this.#o.log.warn("eviction threshold met; reclaiming node-level resources", {
        signal: step.signal,
        reclaim: step.reclaim,
      });
      for (const r of step.reclaim) {
        if (r === "deleteAllUnusedContainers") await this.#o.containerGc.collect(true);
        else await this.#o.imageGc.deleteUnusedImages();
      }
      step = this.#core.afterReclaim({ now: Date.now(), summary: await this.summary(), pods });
    }
    if (step.action === "evict") {
      // Only pods from the API server can be chosen (static pods are critical, as upstream): kill the pod with
      // the core's grace period and report the Evicted status through the status sinks.
      const source = step.pod.metadata.annotations?.["kubernetes.io/config.source"] ?? "api";
      if (source === "api") {
        const evicted = await this.#o.kubelet.evictPod(
          step.pod,
          step.gracePeriodSeconds,
          step.status,
          step.message,
        );
        if (evicted) this.#evictions.inc({ eviction_signal: step.signal });
      } else {
        this.#o.log.warn("eviction picked a static pod; static pods are not evicted", {
          pod: `${step.pod.metadata.namespace}/${step.pod.metadata.name}`,
        });
      }
    }
    return step;
  }
}
