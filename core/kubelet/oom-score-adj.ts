import type { Container, Pod } from "../api/mod.ts";
import { parseQuantity, quantityValueBig } from "../quantity/mod.ts";
import { isNodeCriticalPod } from "./pod-critical.ts";
import { computePodQOS, type QOSOptions } from "./qos.ts";

/** oom_score_adj of the kubelet process itself (KubeletConfiguration.oomScoreAdj default). */
export const kubeletOOMScoreAdj = -999;
/** oom_score_adj of kube-proxy. */
export const kubeProxyOOMScoreAdj = -999;
/** Guaranteed and node-critical containers. */
export const guaranteedOOMScoreAdj = -997;
/** BestEffort containers. */
export const besteffortOOMScoreAdj = 1000;

function memoryRequest(c: Container | undefined): bigint {
  const raw = c?.resources?.requests?.memory;
  return raw === undefined
    ? 0n
    : quantityValueBig(parseQuantity(raw, `${c?.name}.resources.requests.memory`));
}

const isSidecar = (c: Container) => c.restartPolicy === "Always";

/**
 * The oom_score_adj for one container of a pod (upstream `GetContainerOOMScoreAdjust`): −997 for Guaranteed and
 * node-critical pods, 1000 for BestEffort, and for Burstable `1000 − 1000×request/capacity` in integer arithmetic,
 * clamped to [3, 999]. A sidecar never scores above the regular container with the smallest memory request.
 */
export function getContainerOOMScoreAdjust(
  pod: Pod,
  container: Container,
  memoryCapacityBytes: number,
  options: QOSOptions = {},
): number {
  if (isNodeCriticalPod(pod)) return guaranteedOOMScoreAdj;
  const qos = pod.status?.qosClass ?? computePodQOS(pod, options);
  if (qos === "Guaranteed") return guaranteedOOMScoreAdj;
  if (qos === "BestEffort") return besteffortOOMScoreAdj;
  const capacity = BigInt(Math.max(1, Math.floor(memoryCapacityBytes)));
  const extra = podLevelShare(pod, options);
  const request = memoryRequest(container) + extra;
  let score = 1000n - (1000n * request) / capacity;
  if (isSidecar(container)) {
    let min: bigint | undefined;
    for (const c of pod.spec.containers) {
      const r = memoryRequest(c) + extra;
      if (min === undefined || r < min) min = r;
    }
    if (min !== undefined) {
      const minScore = 1000n - (1000n * min) / capacity;
      if (score > minScore) score = minScore;
    }
  }
  const n = Number(score);
  if (n < 1000 + guaranteedOOMScoreAdj) return 1000 + guaranteedOOMScoreAdj;
  if (n === besteffortOOMScoreAdj) return besteffortOOMScoreAdj - 1;
  return n;
}

/** With pod-level resources, the pod's memory request not claimed by containers, shared evenly. */
function podLevelShare(pod: Pod, options: QOSOptions): bigint {
  const raw = pod.spec.resources?.requests?.memory;
  if (!options.podLevelResources || raw === undefined) return 0n;
  const podRequest = quantityValueBig(parseQuantity(raw, "spec.resources.requests.memory"));
  const all = [...pod.spec.containers, ...(pod.spec.initContainers ?? []).filter(isSidecar)];
  const assigned = all.reduce((sum, c) => sum + memoryRequest(c), 0n);
  const unassigned = podRequest - assigned;
  return unassigned > 0n && all.length > 0 ? unassigned / BigInt(all.length) : 0n;
}

/** The oom_score_adj of every container of the pod (init, sidecar and regular), by name. */
export function podOOMScoreAdjust(
  pod: Pod,
  memoryCapacityBytes: number,
  options: QOSOptions = {},
): Map<string, number> {
  const out = new Map<string, number>();
  for (const c of [...(pod.spec.initContainers ?? []), ...pod.spec.containers]) {
    out.set(c.name, getContainerOOMScoreAdjust(pod, c, memoryCapacityBytes, options));
  }
  return out;
}
