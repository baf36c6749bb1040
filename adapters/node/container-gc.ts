import type { CriClient } from "../cri/mod.ts";
import type { Logger } from "../log/logger.ts";
import type { Kubelet } from "./kubelet.ts";
import type { NodeConfig } from "./node-config.ts";
import { listRuntimePods } from "./runtime-pod.ts";

/**
 * Container GC through the CRI (kuberuntime_gc.go): dead containers beyond the newest
 * --maximum-dead-containers-per-container of each (pod, container name), and not-ready sandboxes that are not the
 * pod's newest and hold no containers. Pods no source wants are the pod workers' to remove.
 */
export class ContainerGarbageCollector {
  readonly #o: { cri: CriClient; log: Logger; config: NodeConfig; kubelet: Kubelet };
  constructor(o: { cri: CriClient; log: Logger; config: NodeConfig; kubelet: Kubelet }) {
    this.#o = o;
  }

  /** One pass; `all` = DeleteAllUnusedContainers (eviction reclaim: no per-container allowance). */
  async collect(all = false): Promise<number> {
    const pods = await listRuntimePods(this.#o.cri);
    const keepPer = all ? 0 : Math.max(0, this.#o.config.maxDeadContainersPerContainer);
    let removed = 0;
    for (const p of pods.values()) {
      const byName = new Map<string, typeof p.containers>();
      for (const c of p.containers) byName.set(c.name, [...(byName.get(c.name) ?? []), c]);
      for (const list of byName.values()) {
        // The newest instance (running or not) holds the status; keep the newest dead ones as allowed.
        const dead = list.slice(1).filter((c) => c.state === 2 || c.state === 3);
        const keep = Math.max(0, keepPer - (list[0] && list[0].state !== 1 ? 1 : 0));
        for (const c of dead.slice(keep)) {
          await this.#o.cri.runtime.removeContainer({ containerId: c.id }).catch(() => {});
          removed++;
        }
      }
      for (const sb of p.sandboxes.slice(1)) {
        if (!sb.ready && !p.containers.some((c) => c.sandboxId === sb.id)) {
          await this.#o.cri.runtime.removePodSandbox({ podSandboxId: sb.id }).catch(() => {});
          removed++;
        }
      }
    }
    if (removed)
      this.#o.log.info("container garbage collection removed dead containers and sandboxes", { removed });
    return removed;
  }
}
