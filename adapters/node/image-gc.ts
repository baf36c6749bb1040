import type { CriClient } from "../cri/mod.ts";
import type { Logger } from "../log/logger.ts";
import type { MetricsRegistry } from "../metrics/registry.ts";
import type { NodeConfig } from "./node-config.ts";
import { imageGcBytesToFree } from "./policy.ts";
import { imageFsStats } from "./stats-summary.ts";

interface ImageRecord {
  firstDetected: number;
  lastUsed: number;
  size: number;
  pinned: boolean;
  tags: string[];
}

/**
 * Image GC through the CRI (image_gc_manager.go): records when each image was first seen and last used, and when
 * the image filesystem is at or above imageGCHighThresholdPercent removes unused, unpinned images older than
 * imageMinimumGCAge, least recently used first, until usage is down to the low threshold.
 */
export class ImageGarbageCollector {
  readonly #o: { cri: CriClient; log: Logger; config: NodeConfig; metrics: MetricsRegistry };
  readonly #records = new Map<string, ImageRecord>();

  constructor(o: { cri: CriClient; log: Logger; config: NodeConfig; metrics: MetricsRegistry }) {
    this.#o = o;
  }

  async #detect(now: number): Promise<Set<string>> {
    const [images, containers] = await Promise.all([
      this.#o.cri.image.listImages({}),
      this.#o.cri.runtime.listContainers({}),
    ]);
    const inUse = new Set<string>();
    for (const c of containers.containers) {
      inUse.add(c.imageRef);
      if (c.image?.image) inUse.add(c.image.image);
    }
    const seen = new Set<string>();
    for (const img of images.images) {
      seen.add(img.id);
      const rec = this.#records.get(img.id) ?? {
        firstDetected: now,
        lastUsed: 0,
        size: 0,
        pinned: false,
        tags: [],
      };
      rec.size = Number(img.size);
      rec.pinned = img.pinned;
      rec.tags = img.repoTags;
      if (inUse.has(img.id) || img.repoTags.some((t) => inUse.has(t))) rec.lastUsed = Date.now();
      this.#records.set(img.id, rec);
    }
    for (const id of [...this.#records.keys()]) if (!seen.has(id)) this.#records.delete(id);
    return new Set([...this.#records.entries()].filter(([, r]) => r.lastUsed >= now).map(([id]) => id));
  }

  /** Removes eviction candidates until `bytesToFree` is reached; returns the bytes freed. */
  async freeSpace(bytesToFree: number, now = Date.now()): Promise<number> {
    const inUse = await this.#detect(now);
    const candidates = [...this.#records.entries()]
      .filter(([id, r]) => !inUse.has(id) && !r.pinned)
      .sort(([, a], [, b]) => a.lastUsed - b.lastUsed || a.firstDetected - b.firstDetected);
    let freed = 0;
    for (const [id, r] of candidates) {
      if (freed >= bytesToFree) break;
      if (r.lastUsed >= now) continue;
      if (now - r.firstDetected < this.#o.config.imageMinimumGcAgeMs) continue;
      try {
        await this.#o.cri.image.removeImage({ image: { image: id } });
        this.#records.delete(id);
        freed += r.size;
        this.#o.log.info("image garbage collection removed an image", {
          image: r.tags[0] ?? id,
          size: r.size,
        });
      } catch (e) {
        this.#o.log.warn("removing image failed", { image: id, err: e });
      }
    }
    return freed;
  }

  /** One GarbageCollect pass (every 5 m). */
  async garbageCollect(now = Date.now()): Promise<void> {
    const fs = await imageFsStats(this.#o.cri);
    await this.#detect(now);
    if (!fs) return;
    const toFree = imageGcBytesToFree(
      fs.capacityBytes,
      fs.availableBytes,
      this.#o.config.imageGcHighThresholdPercent,
      this.#o.config.imageGcLowThresholdPercent,
    );
    if (toFree <= 0) return;
    const freed = await this.freeSpace(toFree, now);
    if (freed < toFree) {
      this.#o.log.warn(
        `Failed to garbage collect required amount of images. Attempted to free ${toFree} bytes, but only found ${freed} bytes eligible to free.`,
        {},
      );
    }
  }

  /** DeleteUnusedImages (eviction reclaim). */
  deleteUnusedImages(): Promise<number> {
    return this.freeSpace(Number.MAX_SAFE_INTEGER);
  }
}
