import type { Container, Pod } from "../../core/api/mod.ts";
import { type ProbeType, ProbeWorker } from "../../core/kubelet/mod.ts";
import type { CriClient } from "../cri/mod.ts";
import type { Logger } from "../log/logger.ts";
import type { MetricsRegistry } from "../metrics/registry.ts";
import { runProbe } from "./probe-runner.ts";

export type ProbeKind = ProbeType;

export interface ProbedContainer {
  pod: Pod;
  container: Container;
  containerId: string;
  podIp: string;
  /** When the container started (ms since epoch), for initialDelaySeconds. */
  startedAtMs: number;
}

interface Worker {
  core: ProbeWorker;
  target: ProbedContainer;
  timer?: ReturnType<typeof setTimeout>;
  stopped: boolean;
}

export interface ProberManagerOptions {
  cri: CriClient;
  log: Logger;
  metrics: MetricsRegistry;
  /** Called when a probe result flips (the pod worker re-syncs: kill on liveness failure, status on readiness). */
  onChange: (podUid: string) => void;
}

const kinds: [ProbeKind, "startupProbe" | "livenessProbe" | "readinessProbe"][] = [
  ["startup", "startupProbe"],
  ["liveness", "livenessProbe"],
  ["readiness", "readinessProbe"],
];

/**
 * Runs the probes: one core ProbeWorker per (container instance, probe type) decides when to probe and holds the
 * thresholded result (core/kubelet); this manager keeps the timers, performs the probes (http, tcp, exec through
 * ExecSync, grpc) and reports the verdicts back. Startup gates liveness and readiness (the core decides).
 */
export class ProberManager {
  readonly #o: ProberManagerOptions;
  readonly #workers = new Map<string, Worker>();
  readonly #probeTotal;
  readonly #probeDuration;

  constructor(options: ProberManagerOptions) {
    this.#o = options;
    this.#probeTotal = options.metrics.counter(
      "prober_probe_total",
      "Cumulative number of a liveness, readiness or startup probe for a container by result.",
    );
    this.#probeDuration = options.metrics.histogram(
      "prober_probe_duration_seconds",
      "Duration in seconds for a probe response.",
    );
  }

  /** Starts workers for a running container's probes (idempotent per container id). */
  add(t: ProbedContainer): void {
    for (const [kind, field] of kinds) {
      const probe = t.container[field];
      if (!probe) continue;
      const key = `${t.containerId}/${kind}`;
      const existing = this.#workers.get(key);
      if (existing) {
        existing.target = t;
        continue;
      }
      const core = new ProbeWorker({
        podUid: t.pod.metadata.uid!,
        containerName: t.container.name,
        probeType: kind,
        probe,
        now: Date.now(),
      });
      const w: Worker = { core, target: t, stopped: false };
      this.#workers.set(key, w);
      this.#schedule(w);
    }
  }

  /** Stops the workers of containers not in `keep` for this pod. */
  retain(podUid: string, keep: Set<string>): void {
    for (const [key, w] of this.#workers) {
      if (w.target.pod.metadata.uid === podUid && !keep.has(w.target.containerId)) this.#stop(key, w);
    }
  }

  removePod(podUid: string): void {
    this.retain(podUid, new Set());
  }

  stopAll(): void {
    for (const [key, w] of this.#workers) this.#stop(key, w);
  }

  #stop(key: string, w: Worker): void {
    w.stopped = true;
    w.core.stop();
    clearTimeout(w.timer);
    this.#workers.delete(key);
  }

  /** The cached result of one probe of one container instance; undefined when it has no such probe. */
  result(containerId: string, kind: ProbeKind): "success" | "failure" | "unknown" | undefined {
    const w = this.#workers.get(`${containerId}/${kind}`);
    if (!w) return undefined;
    const r = w.core.result;
    return r === "Success" ? "success" : r === "Failure" ? "failure" : "unknown";
  }

  /** Whether the container has passed its startup probe (true when it has none). */
  started(containerId: string): boolean {
    const r = this.result(containerId, "startup");
    return r === undefined || r === "success";
  }

  get size(): number {
    return this.#workers.size;
  }

  #schedule(w: Worker): void {
    if (w.stopped || w.core.stopped) return;
    w.timer = setTimeout(() => void this.#tick(w), Math.max(0, w.core.nextRunAt - Date.now()));
  }

  async #tick(w: Worker): Promise<void> {
    if (w.stopped) return;
    const t = w.target;
    const tick = w.core.tick({
      now: Date.now(),
      pod: { ...t.pod, status: { ...t.pod.status, podIP: t.podIp } },
      podPhase: "Running",
      containerStatus: {
        name: t.container.name,
        containerID: t.containerId,
        ready: false,
        restartCount: 0,
        image: t.container.image ?? "",
        imageID: "",
        state: { running: { startedAt: new Date(t.startedAtMs).toISOString() } },
        started: this.started(t.containerId),
      },
    });
    if (tick.kind !== "probe") {
      this.#schedule(w);
      return;
    }
    const t0 = performance.now();
    const outcome = await runProbe(
      w.core.probe,
      { podIp: t.podIp, containerId: t.containerId, ports: t.container.ports ?? [] },
      this.#o.cri,
    );
    if (w.stopped) return;
    const labels = {
      probe_type:
        w.core.probeType === "liveness"
          ? "Liveness"
          : w.core.probeType === "readiness"
            ? "Readiness"
            : "Startup",
      container: t.container.name,
      pod: t.pod.metadata.name ?? "",
      namespace: t.pod.metadata.namespace ?? "",
      pod_uid: t.pod.metadata.uid ?? "",
    };
    this.#probeDuration.observe((performance.now() - t0) / 1000, labels);
    const verdict = {
      result: outcome.result === "success" ? "Success" : outcome.result === "warning" ? "Warning" : "Failure",
      output: outcome.message,
    } as const;
    this.#probeTotal.inc({ ...labels, result: verdict.result === "Failure" ? "failed" : "successful" });
    if (verdict.result === "Failure")
      this.#o.log.debug("probe failed", { ...labels, output: outcome.message });
    const update = w.core.report(verdict, t.containerId);
    if (update.kill) {
      this.#o.log.info(`Container ${t.container.name} failed ${w.core.probeType} probe, will be restarted`, {
        pod: `${labels.namespace}/${labels.pod}`,
        output: outcome.message,
      });
    }
    if (update.changed) this.#o.onChange(labels.pod_uid);
    this.#schedule(w);
  }
}
