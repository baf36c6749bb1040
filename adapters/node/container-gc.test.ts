import { describe, expect, it } from "vitest";
import type { CriClient } from "../cri/mod.ts";
import { silentLogger } from "../log/logger.ts";
import { ContainerGarbageCollector } from "./container-gc.ts";
import type { Kubelet } from "./kubelet.ts";
import { resolveNodeConfig } from "./node-config.ts";

const labels = {
  "io.kubernetes.pod.uid": "u1",
  "io.kubernetes.pod.name": "p",
  "io.kubernetes.pod.namespace": "default",
};

function container(id: string, attempt: number, state: number) {
  return {
    id,
    podSandboxId: "sb2",
    state,
    createdAt: BigInt(attempt + 1) * 1_000_000_000n,
    imageRef: "img",
    metadata: { name: "app", attempt },
    labels: { ...labels, "io.kubernetes.container.name": "app" },
    annotations: { "io.kubernetes.container.restartCount": String(attempt) },
  };
}

describe("container garbage collection through the CRI", () => {
  it("keeps the newest dead instance per container and removes older ones and stale sandboxes", async () => {
    const removed: string[] = [];
    const fake = {
      runtime: {
        listPodSandbox: async () => ({
          items: [
            { id: "sb1", state: 1, createdAt: 1n, metadata: { attempt: 0 }, labels, annotations: {} },
            { id: "sb2", state: 0, createdAt: 2n, metadata: { attempt: 1 }, labels, annotations: {} },
          ],
        }),
        listContainers: async () => ({
          containers: [
            container("c0", 0, 2),
            container("c1", 1, 2),
            container("c2", 2, 2),
            container("c3", 3, 1),
          ],
        }),
        removeContainer: async (r: { containerId: string }) => removed.push(r.containerId),
        removePodSandbox: async (r: { podSandboxId: string }) => removed.push(r.podSandboxId),
        stopContainer: async () => ({}),
      },
    } as unknown as CriClient;
    const gc = new ContainerGarbageCollector({
      cri: fake,
      log: silentLogger,
      config: resolveNodeConfig({}, () => {}),
      kubelet: {} as Kubelet,
    });
    await gc.collect();
    expect(removed.sort()).toEqual(["c0", "c1", "sb1"]);
  });
});
