import type { Container, ContainerStatus, Pod, PodPhase, Probe } from "../api/mod.ts";
import { type ProbeAction, type ProbeTiming, probeTiming, resolveProbeAction } from "./probe-action.ts";
import type { ProbeState, ProbeType, ProbeVerdict } from "./probe-result.ts";

export interface ProbeWorkerInit {
  podUid: string;
  containerName: string;
  probeType: ProbeType;
  probe: Probe;
  /** When the worker is created. */
  now: number;
  /** When the kubelet started: workers created within one period of it wait a random part of the period first. */
  kubeletStartedAt?: number;
  /** Source of the start jitter in [0, 1); defaults to 0 (no jitter) so the core stays deterministic. */
  random?: () => number;
}

/** What the worker wants at a tick. */
export type ProbeTick =
  | { kind: "probe"; containerID: string; action: ProbeAction }
  | { kind: "skip"; reason: string }
  | { kind: "stop"; reason: string };

/** The effect of one reported probe. */
export interface ProbeUpdate {
  /** The thresholded result now cached for the container. */
  result: ProbeState;
  /** The cached result changed with this report. */
  changed: boolean;
  containerID: string;
  /** Liveness or startup failed: kill the container (restartPolicy decides whether it comes back). */
  kill: boolean;
  /** Grace period for that kill: the probe's terminationGracePeriodSeconds, if set. */
  killGracePeriodSeconds?: number;
  /** The verdict was a prober error and was discarded. */
  discarded: boolean;
}

/** The input of a tick: the pod as the kubelet knows it, its phase, and this container's status. */
export interface ProbeTickInput {
  now: number;
  pod: Pod;
  /** Phase from the status manager; Failed/Succeeded stops the worker. Undefined = the pod has no status yet. */
  podPhase?: PodPhase;
  containerStatus?: ContainerStatus;
}

/** Initial cached result per type: readiness starts not ready, liveness healthy, startup unknown. */
export function initialProbeState(probeType: ProbeType): ProbeState {
  return probeType === "readiness" ? "Failure" : probeType === "liveness" ? "Success" : "Unknown";
}

function findContainer(pod: Pod, name: string): Container | undefined {
  return (
    pod.spec.containers.find((c) => c.name === name) ?? pod.spec.initContainers?.find((c) => c.name === name)
  );
}

/**
 * One probe of one container, as the kubelet's prober worker: probes every periodSeconds, not before
 * initialDelaySeconds after the container started, not while the startup probe has not succeeded
 * (liveness/readiness) or after it has (startup); the cached result flips only after successThreshold /
 * failureThreshold equal outcomes in a row; a liveness/startup failure holds the worker until a new container.
 * The daemon calls `tick` when `now >= nextRunAt`, performs the returned action, then `report`s the verdict.
 */
export class ProbeWorker {
  readonly podUid: string;
  readonly containerName: string;
  readonly probeType: ProbeType;
  readonly probe: Probe;
  readonly timing: ProbeTiming;
  /** When the worker wants its next tick. */
  nextRunAt: number;
  /** The worker ended (pod terminal, container will not restart, pod deleted). */
  stopped = false;
  #containerID = "";
  #result: ProbeState;
  #lastResult: ProbeState = "Unknown";
  #resultRun = 0;
  #onHold = false;

  constructor(init: ProbeWorkerInit) {
    this.podUid = init.podUid;
    this.containerName = init.containerName;
    this.probeType = init.probeType;
    this.probe = init.probe;
    this.timing = probeTiming(init.probe, init.probeType);
    this.#result = initialProbeState(init.probeType);
    const periodMs = this.timing.periodSeconds * 1000;
    const recentStart = init.kubeletStartedAt !== undefined && init.now - init.kubeletStartedAt < periodMs;
    this.nextRunAt = init.now + (recentStart ? Math.floor((init.random?.() ?? 0) * periodMs) : 0);
  }

  /** The container the cached result belongs to ("" before the first one is seen). */
  get containerID(): string {
    return this.#containerID;
  }

  /** The cached result for the current container. */
  get result(): ProbeState {
    return this.#result;
  }

  /** Whether a result has been cached for a container (the results manager has an entry). */
  get hasResult(): boolean {
    return this.#containerID !== "";
  }

  /** Runs the probe at the next opportunity (manualTriggerCh). */
  trigger(now: number): void {
    if (!this.stopped) this.nextRunAt = Math.min(this.nextRunAt, now);
  }

  stop(): void {
    this.stopped = true;
  }

  /** Decides whether to probe now, and schedules the next tick one period later. */
  tick(input: ProbeTickInput): ProbeTick {
    if (this.stopped) return { kind: "stop", reason: "worker stopped" };
    const t = this.#decide(input);
    if (t.kind === "stop") this.stopped = true;
    else this.nextRunAt = input.now + this.timing.periodSeconds * 1000;
    return t;
  }

  #decide({ now, pod, podPhase, containerStatus: c }: ProbeTickInput): ProbeTick {
    if (podPhase === undefined) return { kind: "skip", reason: "pod has no status yet" };
    if (podPhase === "Failed" || podPhase === "Succeeded")
      return { kind: "stop", reason: `pod is ${podPhase}` };
    if (!c?.containerID) return { kind: "skip", reason: "container not created yet" };
    if (c.containerID !== this.#containerID) {
      this.#containerID = c.containerID;
      this.#result = initialProbeState(this.probeType);
      this.#onHold = false;
      this.#lastResult = "Unknown";
      this.#resultRun = 0;
    }
    if (this.#onHold) return { kind: "skip", reason: "on hold until a new container" };
    if (!c.state?.running) {
      this.#result = "Failure";
      const sidecar = pod.spec.initContainers?.some(
        (x) => x.name === this.containerName && x.restartPolicy === "Always",
      );
      if (c.state?.terminated && pod.spec.restartPolicy === "Never" && !sidecar)
        return { kind: "stop", reason: "container terminated and will not restart" };
      return { kind: "skip", reason: "container not running" };
    }
    if (pod.metadata.deletionTimestamp && this.probeType !== "readiness") {
      this.#result = "Success";
      return { kind: "stop", reason: "pod is terminating" };
    }
    const startedAt = c.state.running.startedAt ? Date.parse(c.state.running.startedAt) : Number.NaN;
    if (Number.isFinite(startedAt) && Math.trunc((now - startedAt) / 1000) < this.timing.initialDelaySeconds)
      return { kind: "skip", reason: "initial delay" };
    if (c.started) {
      if (this.probeType === "startup") return { kind: "skip", reason: "container already started" };
    } else if (this.probeType !== "startup") {
      return { kind: "skip", reason: "waiting for the startup probe" };
    }
    const container = findContainer(pod, this.containerName) ?? { name: this.containerName };
    const podIP = pod.status?.podIP ?? "";
    let action: ProbeAction;
    try {
      action = resolveProbeAction(this.probe, container, podIP, { probeType: this.probeType });
    } catch (e) {
      return { kind: "skip", reason: e instanceof Error ? e.message : String(e) };
    }
    return { kind: "probe", containerID: c.containerID, action };
  }

  /**
   * Feeds the verdict of the probe started by the last tick. Warning counts as Success; a prober error (Unknown)
   * is discarded. Ignored when the container changed in between.
   */
  report(verdict: ProbeVerdict, containerID = this.#containerID): ProbeUpdate {
    const base = { containerID: this.#containerID, kill: false, changed: false };
    if (containerID !== this.#containerID || this.#onHold || this.stopped)
      return { ...base, result: this.#result, discarded: true };
    if (verdict.result === "Unknown") return { ...base, result: this.#result, discarded: true };
    const result: ProbeState = verdict.result === "Failure" ? "Failure" : "Success";
    if (this.#lastResult === result) this.#resultRun++;
    else {
      this.#lastResult = result;
      this.#resultRun = 1;
    }
    if (
      (result === "Failure" && this.#resultRun < this.timing.failureThreshold) ||
      (result === "Success" && this.#resultRun < this.timing.successThreshold)
    ) {
      return { ...base, result: this.#result, discarded: false };
    }
    const changed = this.#result !== result;
    this.#result = result;
    const update: ProbeUpdate = { ...base, result, changed, discarded: false };
    if (this.probeType !== "readiness" && result === "Failure") {
      this.#onHold = true;
      this.#resultRun = 0;
      update.kill = true;
      if (this.probe.terminationGracePeriodSeconds !== undefined)
        update.killGracePeriodSeconds = this.probe.terminationGracePeriodSeconds;
    }
    return update;
  }
}
