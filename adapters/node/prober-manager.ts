import type { Container, Probe } from "../../core/api/mod.ts";
import type { CriClient } from "../cri/mod.ts";
import type { Logger } from "../log/logger.ts";
import type { MetricsRegistry } from "../metrics/registry.ts";
import { initialProbeState, nextProbeState, type ProbeKind, type ProbeState } from "./policy.ts";
import { runProbe } from "./probe-runner.ts";

export interface ProbedContainer {
  podUid: string;
  podName: string;
  namespace: string;
  container: Container;
  containerId: string;
  podIp: string;
  /** When the container started (ms since epoch), for initialDelaySeconds. */
  startedAtMs: number;
}

interface Worker {
  kind: ProbeKind;
  probe: Probe;
  target: ProbedContainer;
  state: ProbeState;
  timer?: ReturnType<typeof setTimeout>;
  stopped: boolean;
  busy: boolean;
}

export interface ProberManagerOptions {
  cri: CriClient;
  log: Logger;
  metrics: MetricsRegistry;
  /** Called when a probe result flips (the pod worker re-syncs: kill on liveness failure, status on readiness). */
  onChange: (podUid: string) => void;
}

/**
 * One worker per (container, probe type), as the kubelet's prober: waits initialDelaySeconds, probes every
 * periodSeconds, holds the result until successThreshold/failureThreshold consecutive outcomes. Startup gates
 * liveness and readiness.
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
    const probes: [ProbeKind, Probe | undefined][] = [
      ["startup", t.container.startupProbe],
      ["liveness", t.container.livenessProbe],
      ["readiness", t.container.readinessProbe],
    ];
    for (const [kind, probe] of probes) {
      if (!probe) continue;
      const key = `${t.containerId}/${kind}`;
      if (this.#workers.has(key)) continue;
      const w: Worker = {
        kind,
        probe,
        target: t,
        state: initialProbeState(kind),
        stopped: false,
        busy: false,
      };
      this.#workers.set(key, w);
      const delay = Math.max(0, t.startedAtMs + (probe.initialDelaySeconds ?? 0) * 1000 - Date.now());
      w.timer = setTimeout(() => this.#tick(w), delay);
    }
  }

  /** Stops the workers of containers not in `keep` for this pod. */
  retain(podUid: string, keep: Set<string>): void {
    for (const [key, w] of this.#workers) {
      if (w.target.podUid === podUid && !keep.has(w.target.containerId)) this.#stop(key, w);
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
    clearTimeout(w.timer);
    this.#workers.delete(key);
  }

  /** The current result of one probe of one container instance; undefined when it has no such probe. */
  result(containerId: string, kind: ProbeKind): ProbeState["result"] | undefined {
    return this.#workers.get(`${containerId}/${kind}`)?.state.result;
  }

  /** Whether the container has passed its startup probe (true when it has none). */
  started(containerId: string): boolean {
    const r = this.result(containerId, "startup");
    return r === undefined || r === "success";
  }

  get size(): number {
    return this.#workers.size;
  }

  async #tick(w: Worker): Promise<void> {
    if (w.stopped) return;
    const period = Math.max(1, w.probe.periodSeconds ?? 10) * 1000;
    const schedule = () => {
      if (!w.stopped) w.timer = setTimeout(() => this.#tick(w), period);
    };
    // Liveness and readiness wait for the startup probe.
    if (w.kind !== "startup" && !this.started(w.target.containerId)) return schedule();
    // A startup probe stops once it succeeded.
    if (w.kind === "startup" && w.state.result === "success") return;
    w.busy = true;
    const t0 = performance.now();
    const outcome = await runProbe(
      w.probe,
      { podIp: w.target.podIp, containerId: w.target.containerId, ports: w.target.container.ports ?? [] },
      this.#o.cri,
    );
    w.busy = false;
    if (w.stopped) return;
    const labels = {
      probe_type: w.kind === "liveness" ? "Liveness" : w.kind === "readiness" ? "Readiness" : "Startup",
      container: w.target.container.name,
      pod: w.target.podName,
      namespace: w.target.namespace,
      pod_uid: w.target.podUid,
    };
    this.#probeDuration.observe((performance.now() - t0) / 1000, labels);
    const ok = outcome.result !== "failure";
    this.#probeTotal.inc({ ...labels, result: ok ? "successful" : "failed" });
    if (!ok) this.#o.log.debug("probe failed", { ...labels, output: outcome.message });
    const before = w.state.result;
    const successThreshold = w.kind === "readiness" ? (w.probe.successThreshold ?? 1) : 1;
    w.state = nextProbeState(
      w.state,
      ok ? "success" : "failure",
      successThreshold,
      w.probe.failureThreshold ?? 3,
    );
    if (w.state.result !== before) {
      if (w.state.result === "failure" && w.kind !== "readiness") {
        this.#o.log.info(`Container ${w.target.container.name} failed ${w.kind} probe, will be restarted`, {
          pod: `${w.target.namespace}/${w.target.podName}`,
          output: outcome.message,
        });
      }
      this.#o.onChange(w.target.podUid);
    }
    schedule();
  }
}
