/**
 * The kubelet's "api" pod source: pods bound to this node (fieldSelector spec.nodeName=<node>),
 * delivered as full snapshots through the node agent's PodSource interface. Mirror pods are left
 * out (they stand for static pods the node already runs); they are reachable through `mirrorPods()`.
 */
import type { Pod } from "../../core/api/mod.ts";
import type { Logger } from "../log/logger.ts";
import type { PodSource, SourceUpdate } from "../node/pod-source.ts";
import type { BackoffOptions } from "./backoff.ts";
import { Informer } from "./informer.ts";
import type { AnyObject, KubeClient } from "./kube-client.ts";

export const mirrorAnnotation = "kubernetes.io/config.mirror";
export const configSourceAnnotation = "kubernetes.io/config.source";

export const isMirrorPod = (p: Pod): boolean => p.metadata.annotations?.[mirrorAnnotation] !== undefined;

export interface ApiPodSourceOptions {
  client: KubeClient;
  nodeName: string;
  log?: Logger;
  backoff?: BackoffOptions;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export class ApiPodSource implements PodSource {
  readonly name = "api";
  readonly informer: Informer<Pod & AnyObject>;
  private deliver: ((u: SourceUpdate) => void) | undefined;

  constructor(options: ApiPodSourceOptions) {
    this.informer = new Informer<Pod & AnyObject>({
      client: options.client,
      path: "/api/v1/pods",
      fieldSelector: `spec.nodeName=${options.nodeName}`,
      name: "pods",
      ...(options.log ? { log: options.log } : {}),
      ...(options.backoff ? { backoff: options.backoff } : {}),
      ...(options.sleep ? { sleep: options.sleep } : {}),
    });
    const push = () => this.push();
    this.informer.on({ add: push, update: push, delete: push });
  }

  /**
   * The pods the API server binds to this node, minus mirror pods and minus pods being deleted
   * (deletionTimestamp set): leaving the snapshot is what tells the node agent to stop them; once
   * stopped, the status sink deletes them with grace 0.
   */
  pods(): Pod[] {
    return this.informer
      .list()
      .filter((p) => !isMirrorPod(p) && !p.metadata.deletionTimestamp)
      .map((p) => {
        const pod = structuredClone(p) as Pod;
        pod.metadata.annotations = { ...pod.metadata.annotations, [configSourceAnnotation]: "api" };
        return pod;
      });
  }

  /** Pods the API server marked for deletion, still waiting for the node to stop them. */
  terminatingPods(): Pod[] {
    return this.informer.list().filter((p) => !isMirrorPod(p) && p.metadata.deletionTimestamp) as Pod[];
  }

  mirrorPods(): Pod[] {
    return this.informer.list().filter((p) => isMirrorPod(p)) as Pod[];
  }

  private push(): void {
    if (!this.deliver || !this.informer.hasSynced) return;
    const gracePeriods: Record<string, number> = {};
    for (const p of this.terminatingPods()) {
      const g = p.metadata.deletionGracePeriodSeconds;
      if (p.metadata.uid && typeof g === "number" && g >= 0) gracePeriods[p.metadata.uid] = g;
    }
    this.deliver({ source: this.name, pods: this.pods(), errors: [], gracePeriods });
  }

  async start(deliver: (update: SourceUpdate) => void): Promise<void> {
    this.deliver = deliver;
    await this.informer.start();
    this.push();
  }

  stop(): void {
    void this.informer.stop();
  }
}
