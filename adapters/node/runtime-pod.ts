import type { CriClient } from "../cri/mod.ts";
import { cri } from "../cri/mod.ts";
import {
  annotationContainerHash,
  annotationRestartCount,
  annotationSandboxHash,
  labelContainerName,
  labelPodName,
  labelPodNamespace,
  labelPodUid,
} from "./cri-labels.ts";

/** A sandbox as the runtime reports it, newest first in RuntimePod.sandboxes. */
export interface RuntimeSandbox {
  id: string;
  ready: boolean;
  attempt: number;
  createdAtMs: number;
  hash: string;
}

/** A container instance as the runtime reports it (restartCount from the kubelet's annotation). */
export interface RuntimeContainer {
  id: string;
  name: string;
  sandboxId: string;
  state: cri.ContainerState;
  createdAtMs: number;
  restartCount: number;
  hash: string;
  imageRef: string;
}

/** What the runtime holds for one pod UID (the PLEG's view). */
export interface RuntimePod {
  uid: string;
  name: string;
  namespace: string;
  sandboxes: RuntimeSandbox[];
  containers: RuntimeContainer[];
}

export function nsToMs(ns: bigint): number {
  return Number(ns / 1_000_000n);
}

/** Groups CRI sandboxes and containers by the pod UID label (objects without it are not kubelet-managed). */
export function groupRuntimePods(
  sandboxes: cri.PodSandbox[],
  containers: cri.Container[],
): Map<string, RuntimePod> {
  const pods = new Map<string, RuntimePod>();
  const get = (labels: Record<string, string>) => {
    const uid = labels[labelPodUid];
    if (!uid) return undefined;
    let p = pods.get(uid);
    if (!p) {
      p = {
        uid,
        name: labels[labelPodName] ?? "",
        namespace: labels[labelPodNamespace] ?? "",
        sandboxes: [],
        containers: [],
      };
      pods.set(uid, p);
    }
    return p;
  };
  for (const s of sandboxes) {
    const p = get(s.labels);
    if (!p) continue;
    p.sandboxes.push({
      id: s.id,
      ready: s.state === cri.PodSandboxState.SANDBOX_READY,
      attempt: s.metadata?.attempt ?? 0,
      createdAtMs: nsToMs(s.createdAt),
      hash: s.annotations[annotationSandboxHash] ?? "",
    });
  }
  for (const c of containers) {
    const p = get(c.labels);
    if (!p) continue;
    p.containers.push({
      id: c.id,
      name: c.labels[labelContainerName] ?? c.metadata?.name ?? "",
      sandboxId: c.podSandboxId,
      state: c.state,
      createdAtMs: nsToMs(c.createdAt),
      restartCount: Number(c.annotations[annotationRestartCount] ?? c.metadata?.attempt ?? 0),
      hash: c.annotations[annotationContainerHash] ?? "",
      imageRef: c.imageRef,
    });
  }
  for (const p of pods.values()) {
    p.sandboxes.sort((a, b) => b.createdAtMs - a.createdAtMs || b.attempt - a.attempt);
    p.containers.sort((a, b) => b.createdAtMs - a.createdAtMs || b.restartCount - a.restartCount);
  }
  return pods;
}

/** Lists everything once (the PLEG relist). */
export async function listRuntimePods(client: CriClient): Promise<Map<string, RuntimePod>> {
  const [s, c] = await Promise.all([client.runtime.listPodSandbox({}), client.runtime.listContainers({})]);
  return groupRuntimePods(s.items, c.containers);
}

/** Lists one pod's sandboxes and containers (after the worker acted on it). */
export async function listRuntimePod(client: CriClient, uid: string): Promise<RuntimePod | undefined> {
  const selector = { [labelPodUid]: uid };
  const [s, c] = await Promise.all([
    client.runtime.listPodSandbox({ filter: { labelSelector: selector } }),
    client.runtime.listContainers({ filter: { labelSelector: selector } }),
  ]);
  return groupRuntimePods(s.items, c.containers).get(uid);
}
