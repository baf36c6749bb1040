import { describe, expect, it } from "vitest";
import type { Pod, PodPhase, PodStatus } from "../../core/api/mod.ts";
import type { CriClient } from "../cri/mod.ts";
import { silentLogger } from "../log/logger.ts";
import { MetricsRegistry } from "../metrics/registry.ts";
import type { ContainerGarbageCollector } from "./container-gc.ts";
import { EvictionManager, evictionConfigOf } from "./eviction-manager.ts";
import type { ImageGarbageCollector } from "./image-gc.ts";
import type { Kubelet } from "./kubelet.ts";
import { resolveNodeConfig } from "./node-config.ts";

const noImageFs = { image: { imageFsInfo: async () => ({ imageFilesystems: [] }) } } as unknown as CriClient;

function manager(flags: Record<string, string>, pods: Pod[] = []) {
  const config = resolveNodeConfig({ "root-dir": "/", ...flags }, () => {});
  const reclaimed: string[] = [];
  const evicted: { pod: Pod; grace: number; status: PodStatus; message: string }[] = [];
  const m = new EvictionManager({
    cri: noImageFs,
    log: silentLogger,
    config,
    kubelet: {
      pods: () => pods,
      evictPod: async (pod: Pod, grace: number, status: PodStatus, message: string) => {
        evicted.push({ pod, grace, status, message });
        return true;
      },
    } as unknown as Kubelet,
    imageGc: { deleteUnusedImages: async () => reclaimed.push("images") } as unknown as ImageGarbageCollector,
    containerGc: {
      collect: async () => reclaimed.push("containers"),
    } as unknown as ContainerGarbageCollector,
    metrics: new MetricsRegistry(),
  });
  return { m, reclaimed, evicted };
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

  const pod = (name: string, source: string, phase: PodPhase = "Running"): Pod => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: "default",
      uid: `uid-${name}`,
      annotations: { "kubernetes.io/config.source": source },
    },
    spec: { containers: [{ name: "c", image: "busybox" }] },
    status: { phase },
  });

  it("evicts an API pod under memory pressure: grace 0 (hard threshold) and the Evicted status", async () => {
    const { m, evicted } = manager({ "eviction-hard": "memory.available<1000Ti" }, [
      pod("done", "api", "Failed"),
      pod("web", "api"),
    ]);
    const step = await m.synchronize();
    expect(step.action).toBe("evict");
    expect(evicted).toHaveLength(1);
    expect(evicted[0]?.pod.metadata.name).toBe("web");
    expect(evicted[0]?.grace).toBe(0);
    expect(evicted[0]?.status).toMatchObject({ phase: "Failed", reason: "Evicted" });
    expect(evicted[0]?.message).toMatch(/^The node was low on resource: memory\./);
    expect(evicted[0]?.status.message).toBe(evicted[0]?.message);
  });

  it("never evicts static pods", async () => {
    const { m, evicted } = manager({ "eviction-hard": "memory.available<1000Ti" }, [pod("st", "file")]);
    await m.synchronize();
    expect(evicted).toEqual([]);
  });

  it("rejects bad thresholds naming the flag", () => {
    const config = resolveNodeConfig({ "eviction-hard": "memory.available<-5Mi" }, () => {});
    expect(() => evictionConfigOf(config)).toThrow(/evictionHard|memory\.available/);
  });
});
