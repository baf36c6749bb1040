import type { ContainerImage } from "../../core/api/mod.ts";
import type { CriClient } from "../cri/mod.ts";
import type { Logger } from "../log/logger.ts";

/** What the node reports in its Ready and pressure conditions (the shape ClusterNode.setHealth takes). */
export interface NodeHealthView {
  ready: boolean;
  readyMessage?: string;
  memoryPressure: boolean;
  diskPressure: boolean;
  pidPressure: boolean;
}

/** upstream maxNamesPerImageInNodeStatus. */
const maxNamesPerImage = 5;

interface RuntimeCondition {
  type: string;
  status: boolean;
  reason: string;
  message: string;
}

const formatCondition = (c: RuntimeCondition) =>
  `${c.type}=${c.status} reason:${c.reason} message:${c.message}`;

/**
 * The node's run-time health for node status, refreshed in the background so the status loop reads it
 * synchronously (the kubelet's runtimeState and imageCache):
 * - Ready: the CRI Status call answers with RuntimeReady and NetworkReady true, and the PLEG / sync loop are
 *   healthy; otherwise the message lists why, in upstream's words;
 * - MemoryPressure / DiskPressure / PIDPressure: the eviction manager's node conditions;
 * - images: ListImages (names = digests then tags, at most 5), refreshed every 30 s.
 */
export class NodeHealthMonitor {
  readonly #o: {
    cri: CriClient;
    conditions: () => ReadonlySet<string> | readonly string[];
    pleg: () => { ok: boolean; reason?: string };
    log?: Logger;
  };
  #runtimeErrors: string[] = ["container runtime status check may not have completed yet"];
  #images: ContainerImage[] = [];
  #timers: ReturnType<typeof setInterval>[] = [];

  constructor(o: {
    cri: CriClient;
    /** The eviction manager's current node conditions (MemoryPressure, DiskPressure, PIDPressure). */
    conditions: () => ReadonlySet<string> | readonly string[];
    /** PLEG and sync-loop health (the daemon's /healthz check). */
    pleg: () => { ok: boolean; reason?: string };
    log?: Logger;
  }) {
    this.#o = o;
  }

  /** Refreshes runtime state (every `runtimeMs`, default 5 s) and images (every `imagesMs`, default 30 s). */
  async start(runtimeMs = 5000, imagesMs = 30_000): Promise<void> {
    await Promise.all([this.refreshRuntime(), this.refreshImages()]);
    const every = (ms: number, fn: () => Promise<void>) => {
      const t = setInterval(() => void fn(), ms);
      t.unref?.();
      this.#timers.push(t);
    };
    every(runtimeMs, () => this.refreshRuntime());
    every(imagesMs, () => this.refreshImages());
  }

  stop(): void {
    for (const t of this.#timers) clearInterval(t);
    this.#timers = [];
  }

  /** One CRI Status call (updateRuntimeUp). */
  async refreshRuntime(): Promise<void> {
    try {
      const res = await this.#o.cri.runtime.status({}, 10_000);
      const conds = (res.status?.conditions ?? []) as RuntimeCondition[];
      const runtime = conds.find((c) => c.type === "RuntimeReady");
      const network = conds.find((c) => c.type === "NetworkReady");
      const errors: string[] = [];
      if (!runtime?.status) {
        errors.push(
          `container runtime not ready: ${runtime ? formatCondition(runtime) : "RuntimeReady condition missing"}`,
        );
      }
      if (!network?.status) {
        errors.push(
          `container runtime network not ready: ${network ? formatCondition(network) : "NetworkReady condition missing"}`,
        );
      }
      this.#runtimeErrors = errors;
    } catch (err) {
      this.#o.log?.warn("container runtime status check failed", { err });
      this.#runtimeErrors = ["container runtime is down"];
    }
  }

  /** One ListImages call (the image cache behind status.images). */
  async refreshImages(): Promise<void> {
    try {
      const res = await this.#o.cri.image.listImages({});
      this.#images = res.images.map((i) => ({
        names: [...i.repoDigests, ...i.repoTags].slice(0, maxNamesPerImage),
        sizeBytes: Number(i.size),
      }));
    } catch (err) {
      this.#o.log?.warn("listing images for node status failed", { err });
    }
  }

  health(): NodeHealthView {
    const conditions = new Set(this.#o.conditions());
    const errors = [...this.#runtimeErrors];
    const pleg = this.#o.pleg();
    if (!pleg.ok) errors.push(pleg.reason ?? "PLEG is not healthy");
    return {
      ready: errors.length === 0,
      ...(errors.length ? { readyMessage: errors.join(", ") } : {}),
      memoryPressure: conditions.has("MemoryPressure"),
      diskPressure: conditions.has("DiskPressure"),
      pidPressure: conditions.has("PIDPressure"),
    };
  }

  images(): ContainerImage[] {
    return this.#images;
  }
}
