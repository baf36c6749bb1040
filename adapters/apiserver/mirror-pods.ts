/**
 * Mirror pods (kubelet mirror_client.go): for each static pod, a read-only copy in the API server
 * carrying `kubernetes.io/config.mirror = <config hash>` and an ownerReference to the Node.
 * A mirror whose hash no longer matches is deleted and recreated; a mirror without a static pod is deleted.
 */
import type { Pod } from "../../core/api/mod.ts";
import type { Logger } from "../log/logger.ts";
import { isAlreadyExists, isNotFound } from "./api-error.ts";
import { mirrorAnnotation } from "./api-pod-source.ts";
import type { KubeClient } from "./kube-client.ts";

export const configHashAnnotation = "kubernetes.io/config.hash";

const keyOf = (p: Pod) => `${p.metadata.namespace ?? "default"}/${p.metadata.name ?? ""}`;

export function mirrorPodFor(staticPod: Pod, node: { name: string; uid: string }): Pod {
  const hash = staticPod.metadata.annotations?.[configHashAnnotation] ?? staticPod.metadata.uid ?? "";
  const pod = structuredClone(staticPod);
  const { uid: _u, resourceVersion: _r, creationTimestamp: _c, ...meta } = pod.metadata;
  pod.metadata = {
    ...meta,
    namespace: meta.namespace ?? "default",
    annotations: { ...meta.annotations, [mirrorAnnotation]: hash },
    ownerReferences: [{ apiVersion: "v1", kind: "Node", name: node.name, uid: node.uid, controller: true }],
  };
  pod.spec = { ...pod.spec, nodeName: node.name };
  delete pod.status;
  return { apiVersion: "v1", kind: "Pod", ...pod };
}

export class MirrorPodManager {
  private readonly client: KubeClient;
  private readonly node: { name: string; uid: string };
  private readonly log: Logger | undefined;
  created = 0;
  deleted = 0;

  constructor(client: KubeClient, node: { name: string; uid: string }, log?: Logger) {
    this.client = client;
    this.node = node;
    this.log = log;
  }

  /** Brings the mirror pods in line with the static pods. `mirrors` are those the API server holds for this node. */
  async sync(staticPods: readonly Pod[], mirrors: readonly Pod[]): Promise<void> {
    const byKey = new Map(mirrors.map((m) => [keyOf(m), m]));
    for (const sp of staticPods) {
      const want = mirrorPodFor(sp, this.node);
      const have = byKey.get(keyOf(want));
      byKey.delete(keyOf(want));
      if (
        have &&
        have.metadata.annotations?.[mirrorAnnotation] === want.metadata.annotations?.[mirrorAnnotation] &&
        !have.metadata.deletionTimestamp
      )
        continue;
      if (have) await this.remove(have);
      try {
        await this.client.create(
          `/api/v1/namespaces/${encodeURIComponent(want.metadata.namespace ?? "default")}/pods`,
          want,
        );
        this.created++;
      } catch (err) {
        if (!isAlreadyExists(err)) {
          this.log?.warn("Failed creating a mirror pod", { pod: keyOf(want), err });
          throw err;
        }
      }
    }
    for (const orphan of byKey.values()) await this.remove(orphan);
  }

  private async remove(mirror: Pod): Promise<void> {
    try {
      await this.client.delete(
        `/api/v1/namespaces/${encodeURIComponent(mirror.metadata.namespace ?? "default")}/pods/${encodeURIComponent(mirror.metadata.name ?? "")}`,
        {
          gracePeriodSeconds: 0,
          preconditions: { uid: mirror.metadata.uid ?? "" },
        },
      );
      this.deleted++;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
