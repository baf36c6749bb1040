import { invalidArgument } from "../errors/mod.ts";

/** Go's zero time (0001-01-01T00:00:00Z) in ms since the epoch: "never" for lastUsed. */
export const goZeroTime = -62_135_596_800_000;
/** How often GarbageCollect runs (ImageGCPeriod). */
export const imageGCPeriodMs = 5 * 60_000;

/** Image GC policy (ImageGCPolicy); the KubeletConfiguration defaults are 85 / 80 / 2m / 0. */
export interface ImageGCPolicy {
  highThresholdPercent: number;
  lowThresholdPercent: number;
  /** Images detected more recently than this are never removed (imageMinimumGCAge). */
  minAgeMs: number;
  /** Unused images older than this are removed regardless of disk usage; 0 = off (imageMaximumGCAge). */
  maxAgeMs: number;
}

export const defaultImageGCPolicy: Readonly<ImageGCPolicy> = Object.freeze({
  highThresholdPercent: 85,
  lowThresholdPercent: 80,
  minAgeMs: 2 * 60_000,
  maxAgeMs: 0,
});

/** Rejects thresholds outside [0, 100] or low > high, with upstream's messages. */
export function validateImageGCPolicy(
  policy: Pick<ImageGCPolicy, "highThresholdPercent" | "lowThresholdPercent">,
): void {
  const { highThresholdPercent: high, lowThresholdPercent: low } = policy;
  if (!Number.isInteger(high) || high < 0 || high > 100)
    throw invalidArgument(
      "imageGCHighThresholdPercent",
      `invalid HighThresholdPercent ${high}, must be in range [0-100]`,
    );
  if (!Number.isInteger(low) || low < 0 || low > 100)
    throw invalidArgument(
      "imageGCLowThresholdPercent",
      `invalid LowThresholdPercent ${low}, must be in range [0-100]`,
    );
  if (low > high)
    throw invalidArgument(
      "imageGCLowThresholdPercent",
      `LowThresholdPercent ${low} can not be higher than HighThresholdPercent ${high}`,
    );
}

/** An image as the runtime lists it (CRI Image). */
export interface RuntimeImage {
  id: string;
  size: number;
  pinned?: boolean;
  runtimeHandler?: string;
}

type MaybePromise<T> = T | Promise<T>;

/** What image GC needs from the runtime; the daemon implements it over CRI. */
export interface ImageGCRuntime {
  listImages(): MaybePromise<RuntimeImage[]>;
  /** The image IDs of all containers of all pods, exited ones included. */
  listContainerImageIds(): MaybePromise<string[]>;
  removeImage(id: string): MaybePromise<void>;
  /** The image filesystem: capacity and available bytes. */
  imageFsStats(): MaybePromise<{ capacityBytes?: number; availableBytes?: number }>;
}

/** One known image (imageRecord), as kept between detections. */
export interface ImageRecord {
  id: string;
  firstDetected: number;
  lastUsed: number;
  size: number;
  pinned: boolean;
}

export interface FreeSpaceResult {
  spaceFreed: number;
  removed: string[];
  errors: string[];
}

export interface GarbageCollectResult {
  /** Bytes needed to get down to the low threshold (0 when under the high threshold). */
  amountToFree: number;
  spaceFreed: number;
  removed: string[];
  /** Set when GC failed or freed too little; `event` is the Warning event upstream records. */
  error?: string;
  event?: { reason: "InvalidDiskCapacity" | "FreeDiskSpaceFailed"; message: string };
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * The kubelet's image garbage collector (images.realImageGCManager): keeps first-detected and last-used times per
 * image, and removes unused, unpinned images least recently used first (ties: first detected first), never one
 * detected less than minAge ago, until usage is back under the low threshold; images unused for maxAge go
 * regardless. `clock` is the wall clock (lastUsed is the wall time of the detection, as upstream).
 */
export class ImageGCManager {
  readonly policy: ImageGCPolicy;
  readonly #runtime: ImageGCRuntime;
  readonly #clock: () => number;
  readonly #records = new Map<string, ImageRecord>();

  constructor(policy: ImageGCPolicy, runtime: ImageGCRuntime, clock: () => number) {
    validateImageGCPolicy(policy);
    this.policy = { ...policy };
    this.#runtime = runtime;
    this.#clock = clock;
  }

  /** The records, for inspection (copies). */
  records(): ImageRecord[] {
    return [...this.#records.values()].map((r) => ({ ...r }));
  }

  /** Refreshes the records from the runtime; returns the image IDs in use (detectImages). */
  async detectImages(detectTime: number): Promise<Set<string>> {
    const images = await this.#runtime.listImages();
    const inUse = new Set(await this.#runtime.listContainerImageIds());
    const now = this.#clock();
    const current = new Set<string>();
    for (const image of images) {
      current.add(image.id);
      let rec = this.#records.get(image.id);
      if (!rec) {
        rec = {
          id: image.id,
          firstDetected: detectTime,
          lastUsed: goZeroTime,
          size: image.size,
          pinned: false,
        };
        this.#records.set(image.id, rec);
      }
      if (inUse.has(image.id)) rec.lastUsed = now;
      rec.size = image.size;
      rec.pinned = image.pinned ?? false;
    }
    for (const id of this.#records.keys()) if (!current.has(id)) this.#records.delete(id);
    return inUse;
  }

  /** Unused, unpinned images, least recently used first, then first detected first (imagesInEvictionOrder). */
  async imagesInEvictionOrder(freeTime: number): Promise<ImageRecord[]> {
    const inUse = await this.detectImages(freeTime);
    const out = [...this.#records.values()]
      .filter((r) => !inUse.has(r.id) && !r.pinned)
      .map((r) => ({ ...r }));
    out.sort(
      (a, b) =>
        a.lastUsed - b.lastUsed ||
        a.firstDetected - b.firstDetected ||
        (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
    );
    return out;
  }

  async #free(image: ImageRecord): Promise<void> {
    await this.#runtime.removeImage(image.id);
    this.#records.delete(image.id);
  }

  /**
   * Removes candidates in order until `bytesToFree` is reached, skipping images used at or after freeTime and
   * images younger than minAge; removal errors are collected and do not stop the loop (freeSpace).
   */
  async freeSpace(
    bytesToFree: number,
    freeTime: number,
    images: readonly ImageRecord[],
  ): Promise<FreeSpaceResult> {
    const out: FreeSpaceResult = { spaceFreed: 0, removed: [], errors: [] };
    for (const image of images) {
      if (image.lastUsed >= freeTime) continue;
      if (freeTime - image.firstDetected < this.policy.minAgeMs) continue;
      try {
        await this.#free(image);
      } catch (e) {
        out.errors.push(`${image.id}: ${message(e)}`);
        continue;
      }
      out.spaceFreed += image.size;
      out.removed.push(image.id);
      if (out.spaceFreed >= bytesToFree) break;
    }
    return out;
  }

  /**
   * With maxAge set and the kubelet up for longer than maxAge, removes candidates unused for more than maxAge;
   * returns the candidates left (freeOldImages).
   */
  async freeOldImages(
    images: readonly ImageRecord[],
    freeTime: number,
    beganGC: number,
  ): Promise<{ remaining: ImageRecord[]; removed: string[]; errors: string[] }> {
    const maxAge = this.policy.maxAgeMs;
    if (maxAge === 0 || freeTime - beganGC <= maxAge)
      return { remaining: [...images], removed: [], errors: [] };
    const remaining: ImageRecord[] = [];
    const removed: string[] = [];
    const errors: string[] = [];
    for (const image of images) {
      if (freeTime - image.lastUsed > maxAge) {
        try {
          await this.#free(image);
          removed.push(image.id);
        } catch (e) {
          errors.push(`${image.id}: ${message(e)}`);
          remaining.push(image);
        }
        continue;
      }
      remaining.push(image);
    }
    return { remaining, removed, errors };
  }

  /**
   * One GC pass (GarbageCollect): old images first, then, when imagefs usage ≥ the high threshold, frees
   * `capacity × (100 − low)/100 − available` bytes. `beganGC` is when the kubelet started.
   */
  async garbageCollect(beganGC: number): Promise<GarbageCollectResult> {
    const freeTime = this.#clock();
    const result: GarbageCollectResult = { amountToFree: 0, spaceFreed: 0, removed: [] };
    let stats: { capacityBytes?: number; availableBytes?: number };
    let images: ImageRecord[];
    try {
      images = await this.imagesInEvictionOrder(freeTime);
      const old = await this.freeOldImages(images, freeTime, beganGC);
      images = old.remaining;
      result.removed.push(...old.removed);
      if (old.errors.length > 0) {
        result.error = `wanted to free images older than ${this.policy.maxAgeMs}ms, encountered errors in image deletion: ${old.errors.join("; ")}`;
        return result;
      }
      stats = await this.#runtime.imageFsStats();
    } catch (e) {
      result.error = message(e);
      return result;
    }
    const capacity = stats.capacityBytes ?? 0;
    const available = Math.min(stats.availableBytes ?? 0, capacity);
    if (capacity === 0) {
      result.error = "invalid capacity 0 on image filesystem";
      result.event = { reason: "InvalidDiskCapacity", message: result.error };
      return result;
    }
    const usagePercent = 100 - Math.trunc((available * 100) / capacity);
    if (usagePercent < this.policy.highThresholdPercent) return result;
    const amountToFree = Math.trunc((capacity * (100 - this.policy.lowThresholdPercent)) / 100) - available;
    result.amountToFree = amountToFree;
    const freed = await this.freeSpace(amountToFree, freeTime, images);
    result.spaceFreed = freed.spaceFreed;
    result.removed.push(...freed.removed);
    if (freed.errors.length > 0) {
      result.error = `wanted to free ${amountToFree} bytes, but freed ${freed.spaceFreed} bytes space with errors in image deletion: ${freed.errors.join("; ")}`;
      return result;
    }
    if (freed.spaceFreed < amountToFree) {
      result.error = `Failed to garbage collect required amount of images. Attempted to free ${amountToFree} bytes, but only found ${freed.spaceFreed} bytes eligible to free.`;
      result.event = { reason: "FreeDiskSpaceFailed", message: result.error };
    }
    return result;
  }

  /** First detection when the kubelet starts (Start runs detectImages at once, then every 5 min). */
  async start(): Promise<void> {
    await this.detectImages(this.#clock());
  }

  /** The eviction manager's reclaim: every unused, unpinned image older than minAge (DeleteUnusedImages). */
  async deleteUnusedImages(): Promise<FreeSpaceResult> {
    const freeTime = this.#clock();
    const images = await this.imagesInEvictionOrder(freeTime);
    return this.freeSpace(Number.MAX_SAFE_INTEGER, freeTime, images);
  }
}
