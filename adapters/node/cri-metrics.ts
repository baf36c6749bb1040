import type { CriClient } from "../cri/mod.ts";
import type { Logger } from "../log/logger.ts";
import type { MetricsRegistry } from "../metrics/registry.ts";

/** upstream's operation_type label: the CRI method name in snake case (run_podsandbox, list_containers, ...). */
function operationType(method: string): string {
  return method
    .replace(/PodSandbox/g, "Podsandbox")
    .replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)
    .replace(/^_/, "");
}

function instrument<T extends object>(
  api: T,
  total: ReturnType<MetricsRegistry["counter"]>,
  duration: ReturnType<MetricsRegistry["histogram"]>,
  log: Logger,
): T {
  const out: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(api) as [string, (...a: unknown[]) => Promise<unknown>][]) {
    const op = operationType(name);
    const labels = { operation_type: op };
    out[name] = async (...args: unknown[]) => {
      const t0 = performance.now();
      total.inc(labels);
      try {
        return await fn(...args);
      } finally {
        const ms = performance.now() - t0;
        duration.observe(ms / 1000, labels);
        log.debug("cri", { op, ms: Math.round(ms * 10) / 10 });
      }
    };
  }
  return out as T;
}

/**
 * Counts and times every CRI call as the kubelet's instrumented runtime service does
 * (kubelet_runtime_operations_total, kubelet_runtime_operations_duration_seconds by operation_type); at debug
 * level each call is also logged (the node benchmark's trace counts them).
 */
export function instrumentCri(cri: CriClient, metrics: MetricsRegistry, log: Logger): CriClient {
  const total = metrics.counter(
    "kubelet_runtime_operations_total",
    "Cumulative number of runtime operations by operation type.",
  );
  const duration = metrics.histogram(
    "kubelet_runtime_operations_duration_seconds",
    "Duration in seconds of runtime operations. Broken down by operation type.",
  );
  return {
    socketPath: cri.socketPath,
    runtime: instrument(cri.runtime, total, duration, log),
    image: instrument(cri.image, total, duration, log),
    checkVersion: () => cri.checkVersion(),
    containerEvents: (signal) => cri.containerEvents(signal),
  };
}
