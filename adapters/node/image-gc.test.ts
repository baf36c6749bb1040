import { describe, expect, it } from "vitest";
import type { CriClient } from "../cri/mod.ts";
import { silentLogger } from "../log/logger.ts";
import { MetricsRegistry } from "../metrics/registry.ts";
import { ImageGarbageCollector } from "./image-gc.ts";
import { resolveNodeConfig } from "./node-config.ts";

function fakeCri(removed: string[]): CriClient {
  return {
    image: {
      listImages: async () => ({
        images: [
          { id: "sha256:used", size: 10n, pinned: false, repoTags: ["a:1"] },
          { id: "sha256:unused", size: 20n, pinned: false, repoTags: ["b:1"] },
          { id: "sha256:pinned", size: 30n, pinned: true, repoTags: ["pause:1"] },
        ],
      }),
      removeImage: async (req: { image: { image: string } }) => {
        removed.push(req.image.image);
        return {};
      },
      imageFsInfo: async () => ({
        imageFilesystems: [{ fsId: { mountpoint: "/" }, usedBytes: { value: 60n } }],
      }),
    },
    runtime: { listContainers: async () => ({ containers: [{ imageRef: "sha256:used" }] }) },
  } as unknown as CriClient;
}

describe("image garbage collection through the CRI", () => {
  it("removes unused, unpinned images when the image filesystem is over the high threshold", async () => {
    const removed: string[] = [];
    const config = resolveNodeConfig(
      { "image-gc-high-threshold": "0", "image-gc-low-threshold": "0", "minimum-image-ttl-duration": "0" },
      () => {},
    );
    const gc = new ImageGarbageCollector({
      cri: fakeCri(removed),
      log: silentLogger,
      config,
      metrics: new MetricsRegistry(),
    });
    await gc.garbageCollect();
    expect(removed).toEqual(["sha256:unused"]);
  });

  it("keeps everything below the high threshold", async () => {
    const removed: string[] = [];
    const config = resolveNodeConfig(
      { "image-gc-high-threshold": "100", "image-gc-low-threshold": "90" },
      () => {},
    );
    const gc = new ImageGarbageCollector({
      cri: fakeCri(removed),
      log: silentLogger,
      config,
      metrics: new MetricsRegistry(),
    });
    await gc.garbageCollect();
    expect(removed).toEqual([]);
  });
});
