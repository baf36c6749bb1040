import type { NodeCondition, Pod, Taint, Toleration } from "../api/mod.ts";
import { type NodeConditionType, nodeConditionTaint } from "./eviction-signals.ts";

const texts: Record<NodeConditionType, { on: [string, string]; off: [string, string] }> = {
  MemoryPressure: {
    on: ["KubeletHasInsufficientMemory", "kubelet has insufficient memory available"],
    off: ["KubeletHasSufficientMemory", "kubelet has sufficient memory available"],
  },
  DiskPressure: {
    on: ["KubeletHasDiskPressure", "kubelet has disk pressure"],
    off: ["KubeletHasNoDiskPressure", "kubelet has no disk pressure"],
  },
  PIDPressure: {
    on: ["KubeletHasInsufficientPID", "kubelet has insufficient PID available"],
    off: ["KubeletHasSufficientPID", "kubelet has sufficient PID available"],
  },
};
const order: NodeConditionType[] = ["MemoryPressure", "DiskPressure", "PIDPressure"];

/**
 * The node's MemoryPressure, DiskPressure and PIDPressure conditions (node status setters): True with
 * KubeletHasInsufficientMemory / KubeletHasDiskPressure / KubeletHasInsufficientPID while reported, False with
 * the "sufficient" reasons otherwise. lastTransitionTime is kept from `previous` unless the status changed.
 */
export function nodePressureConditions(
  active: readonly NodeConditionType[],
  previous: readonly NodeCondition[] | undefined,
  now: number,
): NodeCondition[] {
  const stamp = new Date(now).toISOString();
  return order.map((type) => {
    const on = active.includes(type);
    const [reason, message] = on ? texts[type].on : texts[type].off;
    const status = on ? "True" : "False";
    const prev = previous?.find((c) => c.type === type);
    return {
      type,
      status,
      reason,
      message,
      lastHeartbeatTime: stamp,
      lastTransitionTime:
        prev && prev.status === status && prev.lastTransitionTime ? prev.lastTransitionTime : stamp,
    };
  });
}

/**
 * The NoSchedule taints matching the pressure conditions (node.kubernetes.io/memory-pressure, disk-pressure,
 * pid-pressure). Upstream the node-lifecycle controller adds them (TaintNodesByCondition); a standalone node
 * applies them itself.
 */
export function nodePressureTaints(active: readonly NodeConditionType[]): Taint[] {
  return order
    .filter((c) => active.includes(c))
    .map((c) => ({ key: nodeConditionTaint[c], effect: "NoSchedule" }));
}

/** Whether a toleration tolerates a taint (v1.Toleration.ToleratesTaint). */
export function tolerationToleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  if (!t.key && t.operator !== "Exists") return false;
  if (t.operator === "Exists") return true;
  return (t.value ?? "") === (taint.value ?? "");
}

/** Whether any of a pod's tolerations tolerates the taint. */
export function podToleratesTaint(pod: Pick<Pod, "spec">, taint: Taint): boolean {
  return (pod.spec.tolerations ?? []).some((t) => tolerationToleratesTaint(t, taint));
}
