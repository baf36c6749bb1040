import type { Pod } from "../api/mod.ts";

/** Annotation naming where a pod came from: "file", "http" or "api" (kubetypes.ConfigSourceAnnotationKey). */
export const configSourceAnnotation = "kubernetes.io/config.source";
/** Annotation that marks the API copy of a static pod (kubetypes.ConfigMirrorAnnotationKey). */
export const configMirrorAnnotation = "kubernetes.io/config.mirror";
/** Annotation holding a static pod's hash (kubetypes.ConfigHashAnnotationKey). */
export const configHashAnnotation = "kubernetes.io/config.hash";
/** Priority at and above which a pod is critical (scheduling.SystemCriticalPriority). */
export const systemCriticalPriority = 2_000_000_000;
export const systemNodeCritical = "system-node-critical";
export const systemClusterCritical = "system-cluster-critical";

type PodLike = Pick<Pod, "metadata" | "spec">;

/** A pod from a file or URL source, not from the API server (kubetypes.IsStaticPod). */
export function isStaticPod(pod: PodLike): boolean {
  const source = pod.metadata.annotations?.[configSourceAnnotation];
  return source !== undefined && source !== "api";
}

/** The API server's copy of a static pod (kubetypes.IsMirrorPod). */
export function isMirrorPod(pod: PodLike): boolean {
  return pod.metadata.annotations?.[configMirrorAnnotation] !== undefined;
}

/** Priority at or above system-critical (kubetypes.IsCriticalPodBasedOnPriority). */
export function isCriticalPodBasedOnPriority(priority: number): boolean {
  return priority >= systemCriticalPriority;
}

/** Static, mirror, or system-critical priority: never evicted, never preempted by the kubelet (kubetypes.IsCriticalPod). */
export function isCriticalPod(pod: PodLike): boolean {
  if (isStaticPod(pod) || isMirrorPod(pod)) return true;
  return pod.spec.priority !== undefined && isCriticalPodBasedOnPriority(pod.spec.priority);
}

/** A critical pod of the system-node-critical class (kubetypes.IsNodeCriticalPod). */
export function isNodeCriticalPod(pod: PodLike): boolean {
  return isCriticalPod(pod) && pod.spec.priorityClassName === systemNodeCritical;
}
