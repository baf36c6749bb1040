import { ImageGCManager } from "../../core/kubelet/mod.ts";
import type { CriClient } from "../cri/mod.ts";
import type { Logger } from "../log/logger.ts";
import type { MetricsRegistry } from "../metrics/registry.ts";
import type { NodeConfig } from "./node-config.ts";
import { imageFsStats } from "./stats-summary.ts";

/**
 * Image GC (every 5 m): the core ImageGCManager keeps the first-seen / last-used records and decides what to remove
 * (usage ≥ imageGCHighThresholdPercent → unused, unpinned images older than imageMinimumGCAge, least recently used
 * first, down to the low threshold); this adapter gives it the CRI (ListImages, ListContainers, RemoveImage) and
 * statfs of the image filesystem.
 */
export class ImageGarbageCollector {
  readonly #o: { cri: CriClient; log: Logger; config: NodeConfig; metrics: MetricsRegistry };
  readonly #core: ImageGCManager;

  constructor(o: { cri: CriClient; log: Logger; config: NodeConfig; metrics: MetricsRegistry }) {
    this.#o = o;
    const cri = o.cri;
    this.#core = new ImageGCManager(
      {
        highThresholdPercent: o.config.imageGcHighThresholdPercent,
        lowThresholdPercent: o.config.imageGcLowThresholdPercent,
        minAgeMs: o.config.imageMinimumGcAgeMs,
        maxAgeMs: 0,
      },
      {
        listImages: async () =>
          (await cri.image.listImages({})).images.map((i) => ({
            id: i.id,
            size: Number(i.size),
            pinned: i.pinned,
          })),
        listContainerImageIds: async () =>
          (await cri.runtime.listContainers({})).containers.map((c) => c.imageRef),
        removeImage: async (id) => {
          await cri.image.removeImage({ image: { image: id } });
          o.log.info("image garbage collection removed an image", { image: id });
        },
        imageFsStats: async () => (await imageFsStats(cri)) ?? {},
      },
      () => Date.now(),
    );
  }

  /** One GarbageCollect pass. */
  async garbageCollect(now = Date.now()): Promise<void> {
    const r = await this.#core.garbageCollect(now);
    if (r.event) this.#o.log.warn(r.event.message, { reason: r.event.reason });
    else if (r.error) this.#o.log.warn("image garbage collection failed", { err: r.error });
  }

  /** DeleteUnusedImages (eviction reclaim): every unused, unpinned image older than the minimum age. */
  async deleteUnusedImages(): Promise<number> {
    return (await this.#core.deleteUnusedImages()).spaceFreed;
  }
}
