/**
 * The one seam between the node daemon and the kubelet policy. Every decision the daemon acts on comes through
 * here. QoS, oom_score_adj, phase, conditions, pod criticality, crash-loop and image-pull back-off, image pull
 * decisions and HTTP probe classification come from core/kubelet; probes are
 * thresholded by the core ProbeWorker, eviction decided by the core EvictionManager and image GC by the core
 * ImageGCManager (used directly by those adapters).
 */
import type {
  Container,
  ContainerStatus,
  Pod,
  PodCondition,
  PodPhase,
  PodQOSClass,
} from "../../core/api/mod.ts";
import {
  classifyHttpResponse,
  computePodQOS,
  isCriticalPod as coreIsCriticalPod,
  generatePodConditions,
  getContainerOOMScoreAdjust,
  getPhase,
  isStaticPod,
} from "../../core/kubelet/mod.ts";

/** QoS class (core computePodQOS). */
export function qosClass(pod: Pod): PodQOSClass {
  return computePodQOS(pod);
}

/** oom_score_adj of a container (core getContainerOOMScoreAdjust). */
export function containerOomScoreAdj(pod: Pod, container: Container, memoryCapacity: number): number {
  return getContainerOOMScoreAdjust(pod, container, memoryCapacity);
}

/** Pod phase (core getPhase). */
export function podPhase(
  pod: Pod,
  init: ContainerStatus[],
  regular: ContainerStatus[],
  terminal: boolean,
): PodPhase {
  return getPhase({
    spec: pod.spec,
    initContainerStatuses: init,
    containerStatuses: regular,
    podIsTerminal: terminal,
    staticPod: isStaticPod(pod),
  });
}

/** The kubelet-owned pod conditions in upstream order, foreign ones kept (core generatePodConditions). */
export function podConditions(
  pod: Pod,
  phase: PodPhase,
  init: ContainerStatus[],
  regular: ContainerStatus[],
  sandbox: { ready: boolean; ip: string; attempt: number } | undefined,
  existing: PodCondition[] | undefined,
  now: string,
): PodCondition[] {
  return generatePodConditions({
    spec: pod.spec,
    phase,
    containerStatuses: [...init, ...regular],
    sandboxes: sandbox
      ? [
          {
            state: sandbox.ready ? "SANDBOX_READY" : "SANDBOX_NOTREADY",
            attempt: sandbox.attempt,
            ip: sandbox.ip,
            hostNetwork: pod.spec.hostNetwork ?? false,
          },
        ]
      : [],
    ...(existing ? { existing } : {}),
    now,
  });
}

/** HTTP probe result from a status code (core classifyHttpResponse). */
export function httpProbeResult(statusCode: number): {
  result: "success" | "warning" | "failure";
  message: string;
} {
  const v = classifyHttpResponse({ status: statusCode });
  return {
    result: v.result === "Success" ? "success" : v.result === "Warning" ? "warning" : "failure",
    message: v.output,
  };
}

export {
  Backoff,
  backOffKey,
  containerBackOff,
  defaultImagePullPolicy,
  ensureImageExists,
  imageBackOffKey,
  imageBackOffPeriodMs,
  imagePullFailed,
  maxImageBackOffMs,
} from "../../core/kubelet/mod.ts";

/** IsCriticalPod (core): static, mirror, or priority ≥ 2e9 pods are never evicted. */
export function isCriticalPod(pod: Pod): boolean {
  return coreIsCriticalPod(pod);
}
