import type { ContainerStatus, Pod, PodStatus } from "../api/mod.ts";
import type { ProbeType } from "./probe-result.ts";
import { ProbeWorker } from "./probe-worker.ts";

const probeTypes: readonly ProbeType[] = ["startup", "liveness", "readiness"];

function probeOf(
  c: { livenessProbe?: unknown; readinessProbe?: unknown; startupProbe?: unknown },
  t: ProbeType,
) {
  return t === "liveness" ? c.livenessProbe : t === "readiness" ? c.readinessProbe : c.startupProbe;
}

/**
 * All probe workers of the node (prober.Manager): one per (pod, container, probe type) for regular containers
 * and sidecars. Pure bookkeeping; the daemon drives it with `due(now)` and applies `updatePodStatus`.
 */
export class ProberManager {
  readonly #workers = new Map<string, ProbeWorker>();
  readonly #kubeletStartedAt: number | undefined;
  readonly #random: (() => number) | undefined;

  constructor(options: { kubeletStartedAt?: number; random?: () => number } = {}) {
    this.#kubeletStartedAt = options.kubeletStartedAt;
    this.#random = options.random;
  }

  static key(podUid: string, containerName: string, probeType: ProbeType): string {
    return `${podUid}/${containerName}/${probeType}`;
  }

  /** Creates the workers of a pod's probes (idempotent). */
  addPod(pod: Pod, now: number): ProbeWorker[] {
    const uid = pod.metadata.uid ?? "";
    const added: ProbeWorker[] = [];
    const containers = [
      ...(pod.spec.initContainers ?? []).filter((c) => c.restartPolicy === "Always"),
      ...pod.spec.containers,
    ];
    for (const c of containers) {
      for (const t of probeTypes) {
        const probe = probeOf(c, t);
        if (!probe) continue;
        const key = ProberManager.key(uid, c.name, t);
        if (this.#workers.has(key)) continue;
        const w = new ProbeWorker({
          podUid: uid,
          containerName: c.name,
          probeType: t,
          probe: probe as NonNullable<typeof c.livenessProbe>,
          now,
          ...(this.#kubeletStartedAt !== undefined ? { kubeletStartedAt: this.#kubeletStartedAt } : {}),
          ...(this.#random ? { random: this.#random } : {}),
        });
        this.#workers.set(key, w);
        added.push(w);
      }
    }
    return added;
  }

  /** Stops and forgets the workers of a pod. */
  removePod(podUid: string): void {
    for (const [key, w] of this.#workers) {
      if (w.podUid === podUid) {
        w.stop();
        this.#workers.delete(key);
      }
    }
  }

  /** Forgets workers of pods not in `keep` and workers that stopped themselves (CleanupPods). */
  cleanupPods(keep: ReadonlySet<string>): void {
    for (const [key, w] of this.#workers) if (w.stopped || !keep.has(w.podUid)) this.#workers.delete(key);
  }

  worker(podUid: string, containerName: string, probeType: ProbeType): ProbeWorker | undefined {
    return this.#workers.get(ProberManager.key(podUid, containerName, probeType));
  }

  /** Workers whose tick is due. */
  due(now: number): ProbeWorker[] {
    return [...this.#workers.values()].filter((w) => !w.stopped && w.nextRunAt <= now);
  }

  /** The earliest next tick of any worker (undefined with no workers). */
  nextWakeAt(): number | undefined {
    let min: number | undefined;
    for (const w of this.#workers.values())
      if (!w.stopped && (min === undefined || w.nextRunAt < min)) min = w.nextRunAt;
    return min;
  }

  #started(uid: string, s: ContainerStatus): boolean {
    if (!s.state?.running) return false;
    const w = this.worker(uid, s.name, "startup");
    if (!w) return true;
    return w.containerID === s.containerID && w.result === "Success";
  }

  #ready(uid: string, s: ContainerStatus, now: number): boolean {
    if (!s.state?.running) return false;
    const w = this.worker(uid, s.name, "readiness");
    if (!w) return true;
    if (w.containerID === s.containerID && w.result === "Success") return true;
    w.trigger(now);
    return false;
  }

  /**
   * Sets `started` and `ready` on the container statuses from the probe results (UpdatePodStatus): without a
   * startup probe a running container is started; without a readiness probe a started container is ready;
   * a regular init container is ready once it exited 0. Returns a new status.
   */
  updatePodStatus(pod: Pod, status: PodStatus, now: number): PodStatus {
    const uid = pod.metadata.uid ?? "";
    const sidecars = new Set(
      (pod.spec.initContainers ?? []).filter((c) => c.restartPolicy === "Always").map((c) => c.name),
    );
    const probed = (s: ContainerStatus): ContainerStatus => {
      const started = this.#started(uid, s);
      return { ...s, started, ready: started && this.#ready(uid, s, now) };
    };
    const out: PodStatus = { ...status };
    if (status.containerStatuses) out.containerStatuses = status.containerStatuses.map(probed);
    if (status.initContainerStatuses) {
      out.initContainerStatuses = status.initContainerStatuses.map((s) =>
        sidecars.has(s.name)
          ? probed(s)
          : { ...s, ready: !!s.state?.terminated && s.state.terminated.exitCode === 0 },
      );
    }
    return out;
  }
}
