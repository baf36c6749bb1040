import { planContainerGC } from "../../core/kubelet/mod.ts";
import type { CriClient } from "../cri/mod.ts";
import { cri } from "../cri/mod.ts";
import type { Logger } from "../log/logger.ts";
import type { Kubelet } from "./kubelet.ts";
import type { NodeConfig } from "./node-config.ts";
import { listRuntimePods } from "./runtime-pod.ts";

const states: Record<number, "created" | "running" | "exited" | "unknown"> = {
  [cri.ContainerState.CONTAINER_CREATED]: "created",
  [cri.ContainerState.CONTAINER_RUNNING]: "running",
  [cri.ContainerState.CONTAINER_EXITED]: "exited",
  [cri.ContainerState.CONTAINER_UNKNOWN]: "unknown",
};

/**
 * Container GC (every minute): the core's planContainerGC decides which dead containers (beyond
 * --maximum-dead-containers-per-container per pod and name, --maximum-dead-containers overall) and which not-ready
 * sandboxes go; this adapter lists them through the CRI and removes them. Pods no source wants are removed by the
 * pod workers themselves.
 */
export class ContainerGarbageCollector {
  readonly #o: { cri: CriClient; log: Logger; config: NodeConfig; kubelet: Kubelet };
  constructor(o: { cri: CriClient; log: Logger; config: NodeConfig; kubelet: Kubelet }) {
    this.#o = o;
  }

  /** One pass; `all` = DeleteAllUnusedContainers (eviction reclaim: no minimum age, no overall limit). */
  async collect(all = false): Promise<number> {
    const pods = [...(await listRuntimePods(this.#o.cri)).values()];
    const plan = planContainerGC({
      containers: pods.flatMap((p) =>
        p.containers.map((c) => ({
          id: c.id,
          podUid: p.uid,
          name: c.name,
          state: states[c.state] ?? "unknown",
          createdAt: c.createdAtMs,
          attempt: c.restartCount,
          sandboxId: c.sandboxId,
        })),
      ),
      sandboxes: pods.flatMap((p) =>
        p.sandboxes.map((s) => ({
          id: s.id,
          podUid: p.uid,
          ready: s.ready,
          createdAt: s.createdAtMs,
          attempt: s.attempt,
        })),
      ),
      // At least one dead instance per container stays: it carries the restart count and the last logs.
      policy: all
        ? { minAgeMs: 0, maxPerPodContainer: 1, maxContainers: -1 }
        : {
            minAgeMs: 0,
            maxPerPodContainer: this.#o.config.maxDeadContainersPerContainer,
            maxContainers: this.#o.config.maxDeadContainers,
          },
      now: Date.now(),
      allSourcesReady: true,
      evictTerminatedPods: false,
      isPodDeleted: () => false,
      isPodTerminated: () => false,
    });
    for (const c of plan.containers) {
      if (c.kill) await this.#o.cri.runtime.stopContainer({ containerId: c.id, timeout: 0n }).catch(() => {});
      await this.#o.cri.runtime.removeContainer({ containerId: c.id }).catch(() => {});
    }
    for (const id of plan.sandboxes)
      await this.#o.cri.runtime.removePodSandbox({ podSandboxId: id }).catch(() => {});
    const removed = plan.containers.length + plan.sandboxes.length;
    if (removed)
      this.#o.log.info("container garbage collection removed dead containers and sandboxes", { removed });
    return removed;
  }
}
