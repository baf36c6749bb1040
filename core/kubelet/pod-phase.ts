import type { ContainerStatus, PodPhase, PodSpec } from "../api/mod.ts";

export interface PodPhaseInput {
  spec: Pick<PodSpec, "containers" | "initContainers" | "restartPolicy">;
  /** Statuses of init containers (sidecars included); may be mixed with the regular ones. */
  initContainerStatuses?: readonly ContainerStatus[];
  containerStatuses?: readonly ContainerStatus[];
  /** The pod worker is tearing the pod down for good (upstream `podIsTerminal`). */
  podIsTerminal?: boolean;
  /** A static pod is never moved to a terminal phase just because it is being torn down. */
  staticPod?: boolean;
}

type Status = Pick<ContainerStatus, "name" | "state" | "lastState" | "started">;

function exitCode(t: { exitCode?: number } | undefined): number {
  return t?.exitCode ?? 0;
}

/**
 * The pod phase from its container statuses and restart policy (upstream kubelet `getPhase`).
 * Regular init containers must all have exited 0 and sidecars (init containers with restartPolicy Always) must have
 * started before the pod leaves Pending. Never returns Running without a running container except for the
 * restartPolicy Always/OnFailure case where every container has stopped and will be restarted.
 */
export function getPhase(input: PodPhaseInput): PodPhase {
  const { spec } = input;
  const byName = new Map<string, Status>();
  for (const s of input.initContainerStatuses ?? []) byName.set(s.name, s);
  for (const s of input.containerStatuses ?? []) byName.set(s.name, s);
  const restartPolicy = spec.restartPolicy ?? "Always";

  let pendingRegularInit = 0;
  let failedInitialization = 0;
  let pendingSidecar = 0;
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  let unknown = 0;

  for (const c of spec.initContainers ?? []) {
    const s = byName.get(c.name);
    if (c.restartPolicy === "Always") {
      if (!s) {
        unknown++;
      } else if (s.state?.running) {
        running++;
        if (!s.started) pendingSidecar++;
      } else if (s.state?.terminated) {
        // a stopped sidecar does not decide the phase
      } else if (s.state?.waiting) {
        if (!s.lastState?.terminated) {
          pendingSidecar++;
          waiting++;
        }
      } else {
        unknown++;
      }
      continue;
    }
    if (!s) {
      pendingRegularInit++;
      continue;
    }
    if (s.state?.running) {
      pendingRegularInit++;
    } else if (s.state?.terminated) {
      if (exitCode(s.state.terminated) !== 0) failedInitialization++;
    } else if (s.state?.waiting) {
      if (s.lastState?.terminated) {
        if (exitCode(s.lastState.terminated) !== 0) failedInitialization++;
      } else {
        pendingRegularInit++;
      }
    } else {
      pendingRegularInit++;
    }
  }

  let regularStarted = false;
  for (const c of spec.containers) {
    const s = byName.get(c.name);
    if (!s) {
      unknown++;
    } else if (s.state?.running) {
      running++;
      regularStarted = true;
    } else if (s.state?.terminated) {
      stopped++;
      regularStarted = true;
      if (exitCode(s.state.terminated) === 0) succeeded++;
    } else if (s.state?.waiting) {
      if (s.lastState?.terminated) stopped++;
      else waiting++;
    } else {
      unknown++;
    }
  }

  if (failedInitialization > 0 && restartPolicy === "Never") return "Failed";
  if (pendingRegularInit > 0 || (pendingSidecar > 0 && !regularStarted) || waiting > 0) return "Pending";
  if (running > 0 && unknown === 0) return "Running";
  if (running === 0 && stopped > 0 && unknown === 0) {
    if (input.podIsTerminal && !input.staticPod) return stopped === succeeded ? "Succeeded" : "Failed";
    if (restartPolicy === "Always") return "Running";
    if (stopped === succeeded) return "Succeeded";
    if (restartPolicy === "Never") return "Failed";
    return "Running";
  }
  return "Pending";
}
