import { describe, expect, it } from "vitest";
import type { CriClient } from "../cri/mod.ts";
import { NodeHealthMonitor } from "./node-health.ts";

function fakeCri(o: {
  conditions?: { type: string; status: boolean; reason?: string; message?: string }[];
  statusFails?: boolean;
  images?: { repoTags: string[]; repoDigests: string[]; size: bigint }[];
}): CriClient {
  return {
    runtime: {
      status: async () => {
        if (o.statusFails) throw new Error("connection refused");
        return {
          status: {
            conditions: (o.conditions ?? []).map((c) => ({ reason: "", message: "", ...c })),
          },
        };
      },
    },
    image: { listImages: async () => ({ images: o.images ?? [] }) },
  } as unknown as CriClient;
}

const ready = [
  { type: "RuntimeReady", status: true },
  { type: "NetworkReady", status: true },
];

describe("NodeHealthMonitor", () => {
  it("reports Ready with no pressure when the runtime, network and PLEG are fine", async () => {
    const m = new NodeHealthMonitor({
      cri: fakeCri({ conditions: ready }),
      conditions: () => [],
      pleg: () => ({ ok: true }),
    });
    expect(m.health().ready).toBe(false); // before the first runtime status check
    await m.refreshRuntime();
    expect(m.health()).toEqual({
      ready: true,
      memoryPressure: false,
      diskPressure: false,
      pidPressure: false,
    });
  });

  it("passes the eviction manager's pressure conditions through", async () => {
    let conds = new Set(["MemoryPressure", "PIDPressure"]);
    const m = new NodeHealthMonitor({
      cri: fakeCri({ conditions: ready }),
      conditions: () => conds,
      pleg: () => ({ ok: true }),
    });
    await m.refreshRuntime();
    expect(m.health()).toMatchObject({
      ready: true,
      memoryPressure: true,
      diskPressure: false,
      pidPressure: true,
    });
    conds = new Set(["DiskPressure"]);
    expect(m.health()).toMatchObject({ memoryPressure: false, diskPressure: true, pidPressure: false });
  });

  it("is not Ready when the network is not ready, the runtime is down or the PLEG is stuck", async () => {
    const net = new NodeHealthMonitor({
      cri: fakeCri({
        conditions: [
          { type: "RuntimeReady", status: true },
          {
            type: "NetworkReady",
            status: false,
            reason: "NetworkPluginNotReady",
            message: "cni plugin not initialized",
          },
        ],
      }),
      conditions: () => [],
      pleg: () => ({ ok: true }),
    });
    await net.refreshRuntime();
    expect(net.health()).toMatchObject({
      ready: false,
      readyMessage:
        "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:cni plugin not initialized",
    });
    const down = new NodeHealthMonitor({
      cri: fakeCri({ statusFails: true }),
      conditions: () => [],
      pleg: () => ({ ok: true }),
    });
    await down.refreshRuntime();
    expect(down.health()).toMatchObject({ ready: false, readyMessage: "container runtime is down" });
    const pleg = new NodeHealthMonitor({
      cri: fakeCri({ conditions: ready }),
      conditions: () => [],
      pleg: () => ({
        ok: false,
        reason: "PLEG is not healthy: pleg was last seen active 200s ago; threshold is 3m0s",
      }),
    });
    await pleg.refreshRuntime();
    expect(pleg.health().ready).toBe(false);
    expect(pleg.health().readyMessage).toMatch(/^PLEG is not healthy/);
  });

  it("lists images with digests then tags (at most 5 names) and their sizes", async () => {
    const m = new NodeHealthMonitor({
      cri: fakeCri({
        conditions: ready,
        images: [
          {
            repoDigests: ["docker.io/library/busybox@sha256:abc"],
            repoTags: ["docker.io/library/busybox:1.36"],
            size: 4_000_000n,
          },
          { repoDigests: [], repoTags: ["a:1", "a:2", "a:3", "a:4", "a:5", "a:6"], size: 10n },
        ],
      }),
      conditions: () => [],
      pleg: () => ({ ok: true }),
    });
    await m.start(60_000, 60_000);
    m.stop();
    expect(m.images()).toEqual([
      {
        names: ["docker.io/library/busybox@sha256:abc", "docker.io/library/busybox:1.36"],
        sizeBytes: 4_000_000,
      },
      { names: ["a:1", "a:2", "a:3", "a:4", "a:5"], sizeBytes: 10 },
    ]);
    expect(m.health().ready).toBe(true);
  });
});
