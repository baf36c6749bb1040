/**
 * Pod status to the API server (kubelet status manager): a strategic merge patch of pods/status that
 * carries metadata.uid as a precondition, skipped when nothing changed since the last write.
 * Also the Evicted status the eviction manager writes, and the final delete with grace 0.
 */
import type { Pod, PodCondition, PodStatus } from "../../core/api/mod.ts";
import type { Logger } from "../log/logger.ts";
import { isNotFound } from "./api-error.ts";
import type { KubeClient } from "./kube-client.ts";

export interface PodRef {
  namespace: string;
  name: string;
  uid: string;
}

export const refOf = (p: Pod): PodRef => ({
  namespace: p.metadata.namespace ?? "default",
  name: p.metadata.name ?? "",
  uid: p.metadata.uid ?? "",
});

const podPath = (r: PodRef) =>
  `/api/v1/namespaces/${encodeURIComponent(r.namespace)}/pods/${encodeURIComponent(r.name)}`;

export class PodStatusWriter {
  private readonly client: KubeClient;
  private readonly log: Logger | undefined;
  private readonly written = new Map<string, string>();
  /** Patches sent (for tests and metrics). */
  patches = 0;

  constructor(client: KubeClient, log?: Logger) {
    this.client = client;
    this.log = log;
  }

  /** Writes the status; returns false when it was unchanged or the pod is gone. */
  async write(ref: PodRef, status: PodStatus): Promise<boolean> {
    const fp = JSON.stringify(status);
    if (this.written.get(ref.uid) === fp) return false;
    const body: Record<string, unknown> = { metadata: { uid: ref.uid }, status };
    if (status.conditions)
      body["$setElementOrder/conditions"] = status.conditions.map((c) => ({ type: c.type }));
    try {
      await this.client.patch(`${podPath(ref)}/status`, body, "strategic");
    } catch (err) {
      if (isNotFound(err)) {
        this.written.delete(ref.uid);
        return false;
      }
      this.log?.warn("Failed to update status for pod", { pod: `${ref.namespace}/${ref.name}`, err });
      throw err;
    }
    this.patches++;
    this.written.set(ref.uid, fp);
    return true;
  }

  /** Forget a pod (after it is deleted). */
  forget(uid: string): void {
    this.written.delete(uid);
  }

  /** Deletes the pod object with grace 0 once the node stopped it (uid precondition, as the kubelet). */
  async deleteTerminated(ref: PodRef): Promise<void> {
    try {
      await this.client.delete(podPath(ref), { gracePeriodSeconds: 0, preconditions: { uid: ref.uid } });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    this.forget(ref.uid);
  }
}

/** The status the eviction manager writes: Failed, reason Evicted, plus DisruptionTarget. */
export function evictedStatus(pod: Pod, message: string, now: Date): PodStatus {
  const stamp = now.toISOString().replace(/\.\d{3}Z$/, "Z");
  const conditions: PodCondition[] = (pod.status?.conditions ?? []).filter(
    (c) => c.type !== "DisruptionTarget" && c.type !== "Ready" && c.type !== "ContainersReady",
  );
  conditions.push(
    {
      type: "DisruptionTarget",
      status: "True",
      reason: "TerminationByKubelet",
      message,
      lastTransitionTime: stamp,
    } as PodCondition,
    { type: "Ready", status: "False", reason: "PodFailed", lastTransitionTime: stamp } as PodCondition,
    {
      type: "ContainersReady",
      status: "False",
      reason: "PodFailed",
      lastTransitionTime: stamp,
    } as PodCondition,
  );
  return { ...pod.status, phase: "Failed", reason: "Evicted", message, conditions };
}
