import { describe, expect, it } from "vitest";
import type { CriClient } from "../cri/mod.ts";
import { silentLogger } from "../log/logger.ts";
import { MetricsRegistry } from "../metrics/registry.ts";
import type { ContainerGarbageCollector } from "./container-gc.ts";
import { EvictionManager, evictionConfigOf } from "./eviction-manager.ts";
import type { ImageGarbageCollector } from "./image-gc.ts";
import type { Kubelet } from "./kubelet.ts";
import { resolveNodeConfig } from "./node-config.ts";

const noImageFs = { image: { imageFsInfo: async () => ({ imageFilesystems: [] }) } } as unknown as CriClient;

function manager(flags: Record<string, string>) {
  const config = resolveNodeConfig({ "root-dir": "/", ...flags }, () => {});
  const reclaimed: string[] = [];
  const m = new EvictionManager({
    cri: noImageFs,
    log: silentLogger,
    config,
    kubelet: { pods: () => [] } as unknown as Kubelet,
    imageGc: { deleteUnusedImages: async () => reclaimed.push("images") } as unknown as ImageGarbageCollector,
    containerGc: {
      collect: async () => reclaimed.push("containers"),
    } as unknown as ContainerGarbageCollector,
    metrics: new MetricsRegistry(),
  });
  return { m, reclaimed };
}

describe("eviction manager adapter", () => {
  it("feeds real node signals to the core and reports pressure conditions", async () => {
    const { m } = manager({ "eviction-hard": "memory.available<1000Ti" });
    const step = await m.synchronize();
    expect(m.conditions.has("MemoryPressure")).toBe(true);
    expect(step.action).toBe("none");
  });

  it("runs the node-level reclaim the core asks for on disk pressure", async () => {
    const { m, reclaimed } = manager({ "eviction-hard": "nodefs.available<99%" });
    const step = await m.synchronize();
    expect(m.conditions.has("DiskPressure")).toBe(true);
    expect(reclaimed).toEqual(["containers", "images"]);
    expect(step.action).toBe("none");
  });

  it("stays quiet below the thresholds", async () => {
    const { m, reclaimed } = manager({ "eviction-hard": "memory.available<1Ki" });
    await m.synchronize();
    expect(m.conditions.size).toBe(0);
    expect(reclaimed).toEqual([]);
  });

  it("rejects bad thresholds naming the flag", () => {
    const config = resolveNodeConfig({ "eviction-hard": "memory.available<-5Mi" }, () => {});
    expect(() => evictionConfigOf(config)).toThrow(/evictionHard|memory\.available/);
  });
});
