/**
 * The one seam between the node daemon and the kubelet policy. Every decision the daemon acts on comes through
 * here; the bodies are interim stand-ins until core/kubelet (docs/kubelet-policy.md) lands, then each one
 * becomes a re-export of the core function of the same meaning.
 */
import type {
  Container,
  ContainerStatus,
  Pod,
  PodCondition,
  PodPhase,
  PodQOSClass,
} from "../../core/api/mod.ts";
import { parseQuantity, quantityMilliValue, quantityValue } from "../../core/quantity/mod.ts";

function qty(v: string | number | undefined): { milli: number; value: number } | undefined {
  if (v === undefined) return undefined;
  const q = parseQuantity(String(v));
  return { milli: Number(quantityMilliValue(q)), value: Number(quantityValue(q)) };
}

/** QoS class (pkg/apis/core/v1/helper/qos). */
export function qosClass(pod: Pod): PodQOSClass {
  const all = [...(pod.spec.initContainers ?? []), ...pod.spec.containers];
  const req: Record<string, number> = {};
  const lim: Record<string, number> = {};
  let anySet = false;
  let allLimited = true;
  for (const c of all) {
    for (const r of ["cpu", "memory"]) {
      const rq = qty(c.resources?.requests?.[r]);
      const lm = qty(c.resources?.limits?.[r]);
      if (rq && rq.milli > 0) {
        anySet = true;
        req[r] = (req[r] ?? 0) + rq.milli;
      }
      if (lm && lm.milli > 0) {
        anySet = true;
        lim[r] = (lim[r] ?? 0) + lm.milli;
      } else allLimited = false;
    }
  }
  if (!anySet) return "BestEffort";
  if (allLimited && ["cpu", "memory"].every((r) => (req[r] ?? lim[r]) === lim[r])) return "Guaranteed";
  return "Burstable";
}

/** oom_score_adj of a container (pkg/kubelet/qos/policy.go). */
export function containerOomScoreAdj(pod: Pod, container: Container, memoryCapacity: number): number {
  const qos = qosClass(pod);
  if (qos === "Guaranteed") return -997;
  if (qos === "BestEffort") return 1000;
  const request = qty(container.resources?.requests?.memory)?.value ?? 0;
  let adj = 1000 - Math.floor((1000 * request) / memoryCapacity);
  if (adj < 3) adj = 3;
  if (adj >= 1000) adj = 999;
  return adj;
}

const isSidecar = (c: Container) => c.restartPolicy === "Always";

/** Pod phase (kubelet_pods.go getPhase). */
export function podPhase(
  pod: Pod,
  init: ContainerStatus[],
  regular: ContainerStatus[],
  terminal: boolean,
): PodPhase {
  const policy = pod.spec.restartPolicy ?? "Always";
  let pendingInit = 0;
  let failedInit = 0;
  let pendingSidecar = 0;
  let running = 0;
  let stopped = 0;
  let succeeded = 0;
  let waiting = 0;
  let unknown = 0;
  for (const c of pod.spec.initContainers ?? []) {
    const s = init.find((x) => x.name === c.name);
    if (isSidecar(c)) {
      if (!s) unknown++;
      else if (s.state?.running) {
        running++;
        if (!s.started) pendingSidecar++;
      } else if (s.state?.waiting && !s.lastState?.terminated) {
        pendingSidecar++;
        waiting++;
      }
      continue;
    }
    if (!s || s.state?.running || (s.state?.waiting && !s.lastState?.terminated)) pendingInit++;
    else if (
      (s.state?.terminated && s.state.terminated.exitCode !== 0) ||
      (s.state?.waiting && (s.lastState?.terminated?.exitCode ?? 0) !== 0)
    )
      failedInit++;
  }
  let regularStarted = false;
  for (const c of pod.spec.containers) {
    const s = regular.find((x) => x.name === c.name);
    if (!s) unknown++;
    else if (s.state?.running) {
      running++;
      regularStarted = true;
    } else if (s.state?.terminated) {
      stopped++;
      regularStarted = true;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.state?.waiting && s.lastState?.terminated) stopped++;
    else waiting++;
  }
  if (failedInit > 0 && policy === "Never") return "Failed";
  if (pendingInit > 0 || (pendingSidecar > 0 && !regularStarted) || waiting > 0) return "Pending";
  if (running > 0 && unknown === 0) return "Running";
  if (running === 0 && stopped > 0 && unknown === 0) {
    if (terminal) return stopped === succeeded ? "Succeeded" : "Failed";
    if (policy === "Always") return "Running";
    if (stopped === succeeded) return "Succeeded";
    if (policy === "Never") return "Failed";
    return "Running";
  }
  return "Pending";
}

/** The kubelet-owned pod conditions (status/generate.go), in upstream order. */
export function podConditions(
  pod: Pod,
  phase: PodPhase,
  init: ContainerStatus[],
  regular: ContainerStatus[],
  sandboxReady: boolean,
): PodCondition[] {
  const cond = (type: string, ok: boolean, reason?: string, message?: string): PodCondition => ({
    type,
    status: ok ? "True" : "False",
    ...(reason && !ok ? { reason } : {}),
    ...(message && !ok ? { message } : {}),
  });
  const regularStarted = regular.some((s) => s.state?.running || s.state?.terminated);
  const initDone =
    regularStarted ||
    (pod.spec.initContainers ?? []).every((c) => {
      const s = init.find((x) => x.name === c.name);
      return isSidecar(c) ? !!s?.started : s?.state?.terminated?.exitCode === 0;
    });
  const names = [
    ...(pod.spec.initContainers ?? []).filter(isSidecar).map((c) => c.name),
    ...pod.spec.containers.map((c) => c.name),
  ];
  const all = [...init, ...regular];
  const unready = names.filter((n) => !all.find((s) => s.name === n)?.ready);
  const ready = unready.length === 0;
  const notReadyMsg = `containers with unready status: [${unready.join(" ")}]`;
  if (phase === "Succeeded") {
    return [
      cond("PodReadyToStartContainers", sandboxReady),
      { type: "Initialized", status: "True", reason: "PodCompleted" },
      { type: "Ready", status: "False", reason: "PodCompleted" },
      { type: "ContainersReady", status: "False", reason: "PodCompleted" },
      { type: "PodScheduled", status: "True" },
    ];
  }
  return [
    cond("PodReadyToStartContainers", sandboxReady),
    cond("Initialized", initDone, "ContainersNotInitialized"),
    cond("Ready", ready, "ContainersNotReady", notReadyMsg),
    cond("ContainersReady", ready, "ContainersNotReady", notReadyMsg),
    { type: "PodScheduled", status: "True" },
  ];
}

/** HTTP probe result from a status code (probe/http). */
export function httpProbeResult(statusCode: number): {
  result: "success" | "warning" | "failure";
  message: string;
} {
  if (statusCode >= 200 && statusCode < 300) return { result: "success", message: "" };
  if (statusCode >= 300 && statusCode < 400)
    return { result: "warning", message: `Probe terminated redirects` };
  return { result: "failure", message: `HTTP probe failed with statuscode: ${statusCode}` };
}

export type ProbeKind = "liveness" | "readiness" | "startup";

/** Probe worker state: the result only flips after successThreshold / failureThreshold consecutive outcomes. */
export interface ProbeState {
  result: "success" | "failure" | "unknown";
  successRun: number;
  failureRun: number;
}

export function initialProbeState(kind: ProbeKind): ProbeState {
  return {
    result: kind === "readiness" ? "failure" : kind === "startup" ? "unknown" : "success",
    successRun: 0,
    failureRun: 0,
  };
}

export function nextProbeState(
  state: ProbeState,
  outcome: "success" | "failure",
  successThreshold: number,
  failureThreshold: number,
): ProbeState {
  if (outcome === "success") {
    const successRun = state.successRun + 1;
    return { result: successRun >= successThreshold ? "success" : state.result, successRun, failureRun: 0 };
  }
  const failureRun = state.failureRun + 1;
  return { result: failureRun >= failureThreshold ? "failure" : state.result, successRun: 0, failureRun };
}

/** Crash-loop back-off (flowcontrol.Backoff: 10 s doubling to 300 s, reset after 600 s without failure). */
export interface BackoffEntry {
  delayMs: number;
  lastFailureMs: number;
}
export const backoffInitialMs = 10_000;
export const backoffMaxMs = 300_000;

export function nextBackoff(prev: BackoffEntry | undefined, nowMs: number): BackoffEntry {
  if (!prev || nowMs - prev.lastFailureMs > 2 * backoffMaxMs)
    return { delayMs: backoffInitialMs, lastFailureMs: nowMs };
  return { delayMs: Math.min(prev.delayMs * 2, backoffMaxMs), lastFailureMs: nowMs };
}

export function inBackoff(entry: BackoffEntry | undefined, nowMs: number): boolean {
  return !!entry && nowMs - entry.lastFailureMs < entry.delayMs;
}

export function formatBackoff(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${s % 60}s` : `${s}s`;
}

/** A threshold value ("100Mi" or "10%") as an amount of the signal's capacity; undefined when disabled (0%/100%). */
export function thresholdAmount(value: string, capacity: number): number | undefined {
  const v = value.trim();
  if (v.endsWith("%")) {
    const p = Number(v.slice(0, -1));
    if (!Number.isFinite(p) || p < 0 || p > 100) throw new Error(`invalid percentage ${v}`);
    if (p === 0 || p === 100) return undefined;
    return (capacity * p) / 100;
  }
  return Number(quantityValue(parseQuantity(v)));
}

/** The node condition each eviction signal drives. */
export const signalCondition: Record<string, "MemoryPressure" | "DiskPressure" | "PIDPressure"> = {
  "memory.available": "MemoryPressure",
  "allocatableMemory.available": "MemoryPressure",
  "nodefs.available": "DiskPressure",
  "nodefs.inodesFree": "DiskPressure",
  "imagefs.available": "DiskPressure",
  "imagefs.inodesFree": "DiskPressure",
  "pid.available": "PIDPressure",
};

/** IsCriticalPod: static, mirror, or priority ≥ 2e9 pods are never evicted. */
export function isCriticalPod(pod: Pod): boolean {
  const a = pod.metadata.annotations ?? {};
  const source = a["kubernetes.io/config.source"];
  return (
    (source !== undefined && source !== "api") ||
    a["kubernetes.io/config.mirror"] !== undefined ||
    (pod.spec.priority ?? 0) >= 2_000_000_000
  );
}

/** Image GC: usage% = 100 − floor(available×100/capacity); at ≥ high, free down to low. */
export function imageGcBytesToFree(capacity: number, available: number, high: number, low: number): number {
  if (capacity <= 0) throw new Error("invalid capacity 0 on image filesystem");
  const avail = Math.min(available, capacity);
  const usage = 100 - Math.floor((avail * 100) / capacity);
  if (usage < high) return 0;
  return Math.max(0, Math.floor((capacity * (100 - low)) / 100) - avail);
}
