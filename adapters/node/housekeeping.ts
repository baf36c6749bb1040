import type { CriClient } from "../cri/mod.ts";
import type { Logger } from "../log/logger.ts";
import type { MetricsRegistry } from "../metrics/registry.ts";
import { ContainerGarbageCollector } from "./container-gc.ts";
import { EvictionManager } from "./eviction-manager.ts";
import { ImageGarbageCollector } from "./image-gc.ts";
import type { Kubelet } from "./kubelet.ts";
import type { NodeConfig } from "./node-config.ts";

/** Starts the eviction manager (10 s), container GC (1 m) and image GC (5 m) loops. */
export function startHousekeeping(o: {
  config: NodeConfig;
  cri: CriClient;
  kubelet: Kubelet;
  log: Logger;
  metrics: MetricsRegistry;
}): {
  stop(): void;
  eviction: EvictionManager;
  imageGc: ImageGarbageCollector;
  containerGc: ContainerGarbageCollector;
} {
  const imageGc = new ImageGarbageCollector({ cri: o.cri, log: o.log, config: o.config, metrics: o.metrics });
  const containerGc = new ContainerGarbageCollector({
    cri: o.cri,
    log: o.log,
    config: o.config,
    kubelet: o.kubelet,
  });
  const eviction = new EvictionManager({
    cri: o.cri,
    log: o.log,
    config: o.config,
    kubelet: o.kubelet,
    imageGc,
    containerGc,
    metrics: o.metrics,
  });
  const timers: ReturnType<typeof setInterval>[] = [];
  const every = (ms: number, fn: () => Promise<unknown>, name: string) => {
    let busy = false;
    const t = setInterval(async () => {
      if (busy) return;
      busy = true;
      try {
        await fn();
      } catch (e) {
        o.log.error(`${name} failed`, { err: e });
      } finally {
        busy = false;
      }
    }, ms);
    t.unref?.();
    timers.push(t);
  };
  every(o.config.evictionMonitoringPeriodMs, () => eviction.synchronize(), "eviction manager");
  every(o.config.containerGcPeriodMs, () => containerGc.collect(), "container garbage collection");
  every(o.config.imageGcPeriodMs, () => imageGc.garbageCollect(), "image garbage collection");
  return {
    eviction,
    imageGc,
    containerGc,
    stop() {
      for (const t of timers) clearInterval(t);
    },
  };
}
