import { describe, expect, it } from "../../test/harness.ts";
import type { Pod } from "../api/mod.ts";
import {
  EvictionManager,
  evictionConfigFromFlags,
  fsStatsFromStatfs,
  makeSignalObservations,
  memoryStatsFromCgroup,
  memoryStatsFromMeminfo,
  nodePressureConditions,
  nodePressureTaints,
  type PodStatsSummary,
  type StatsSummary,
} from "./mod.ts";

const Mi = 1024 ** 2;
const Gi = 1024 ** 3;

function pod(
  name: string,
  opts: { memRequest?: string; priority?: number; critical?: "static" | "mirror"; grace?: number } = {},
): Pod {
  const p: Pod = {
    metadata: { name, namespace: "default", uid: name },
    spec: {
      containers: [
        { name: "app", ...(opts.memRequest ? { resources: { requests: { memory: opts.memRequest } } } : {}) },
      ],
    },
  };
  if (opts.priority !== undefined) p.spec.priority = opts.priority;
  if (opts.grace !== undefined) p.spec.terminationGracePeriodSeconds = opts.grace;
  if (opts.critical === "static") p.metadata.annotations = { "kubernetes.io/config.source": "file" };
  if (opts.critical === "mirror") p.metadata.annotations = { "kubernetes.io/config.mirror": "x" };
  return p;
}

function podStats(name: string, workingSet: number, rootfs = 0): PodStatsSummary {
  return {
    podRef: { name, namespace: "default", uid: name },
    memory: { workingSetBytes: workingSet },
    containers: [
      {
        name: "app",
        memory: { workingSetBytes: workingSet },
        rootfs: { usedBytes: rootfs },
        logs: { usedBytes: 0 },
      },
    ],
  };
}

function summary(memAvailable: number, nodefsAvailable: number, pods: PodStatsSummary[] = []): StatsSummary {
  return {
    node: {
      memory: { availableBytes: memAvailable, workingSetBytes: 8 * Gi - memAvailable },
      fs: { availableBytes: nodefsAvailable, capacityBytes: 100 * Gi, inodesFree: 1e6, inodes: 2e6 },
    },
    pods,
  };
}

const t0 = 1_700_000_000_000;

describe("EvictionManager", () => {
  it("under hard memory pressure evicts the worst non-critical pod, one per pass, with grace 0", () => {
    const m = new EvictionManager({
      config: evictionConfigFromFlags({
        "eviction-hard": "memory.available<500Mi",
        "enforce-node-allocatable": "",
      }),
    });
    const pods = [
      pod("static-hog", { critical: "static" }),
      pod("guaranteed", { memRequest: "2Gi" }),
      pod("besteffort"),
      pod("burstable", { memRequest: "100Mi" }),
    ];
    const stats = [
      podStats("static-hog", 3 * Gi),
      podStats("guaranteed", 1 * Gi),
      podStats("besteffort", 200 * Mi),
      podStats("burstable", 300 * Mi),
    ];
    const step = m.synchronize({ now: t0, summary: summary(100 * Mi, 50 * Gi, stats), pods });
    expect(step.action).toBe("evict");
    if (step.action !== "evict") return;
    expect(step.evictions.length).toBe(1);
    expect(step.pod.metadata.name).toBe("besteffort");
    expect(step.gracePeriodSeconds).toBe(0);
    expect(step.signal).toBe("memory.available");
    expect(step.message).toBe(
      "The node was low on resource: memory. Threshold quantity: 500Mi, available: 100Mi. Container app was using 200Mi, request is 0, has larger consumption of memory. ",
    );
    expect(step.status).toMatchObject({ phase: "Failed", reason: "Evicted" });
    expect(step.status.conditions?.[0]).toMatchObject({
      type: "DisruptionTarget",
      reason: "TerminationByKubelet",
    });
    expect(m.nodeConditions()).toEqual(["MemoryPressure"]);
  });

  it("does not act twice on the same stale stats", () => {
    const m = new EvictionManager({
      config: evictionConfigFromFlags({ "eviction-hard": "memory.available<500Mi" }),
    });
    const pods = [pod("a")];
    const s = summary(100 * Mi, 50 * Gi, [podStats("a", Gi)]);
    s.node.memory!.time = "2026-01-01T00:00:00Z";
    expect(m.synchronize({ now: t0, summary: s, pods }).action).toBe("evict");
    expect(m.synchronize({ now: t0 + 10_000, summary: s, pods }).action).toBe("none");
    expect(m.isUnderMemoryPressure()).toBe(true);
    s.node.memory!.time = "2026-01-01T00:00:10Z";
    expect(m.synchronize({ now: t0 + 20_000, summary: s, pods }).action).toBe("evict");
    expect(m.lastObservations()["memory.available"]?.time).toBe(Date.parse("2026-01-01T00:00:10Z"));
  });

  it("never evicts static, mirror or system-critical pods", () => {
    const m = new EvictionManager({
      config: evictionConfigFromFlags({ "eviction-hard": "memory.available<500Mi" }),
    });
    const pods = [
      pod("s", { critical: "static" }),
      pod("m", { critical: "mirror" }),
      pod("c", { priority: 2_000_000_000 }),
    ];
    const step = m.synchronize({
      now: t0,
      summary: summary(
        100 * Mi,
        50 * Gi,
        pods.map((p) => podStats(p.metadata.name!, Gi)),
      ),
      pods,
    });
    expect(step).toEqual({ action: "none", reason: "unable to evict any pods from the node" });
  });

  it("reclaims images and dead containers before evicting for disk pressure", () => {
    const m = new EvictionManager({
      config: evictionConfigFromFlags({ "eviction-hard": "nodefs.available<10%" }),
    });
    const pods = [pod("a"), pod("b")];
    const stats = [podStats("a", Mi, 2 * Gi), podStats("b", Mi, 5 * Gi)];
    const step = m.synchronize({ now: t0, summary: summary(4 * Gi, 5 * Gi, stats), pods });
    expect(step).toEqual({
      action: "reclaim",
      signal: "nodefs.available",
      resource: "ephemeral-storage",
      reclaim: ["deleteAllUnusedContainers", "deleteUnusedImages"],
    });
    expect(m.isUnderDiskPressure()).toBe(true);
    const fixed = m.afterReclaim({ summary: summary(4 * Gi, 20 * Gi, stats) });
    expect(fixed.action).toBe("none");
    m.synchronize({ now: t0 + 10_000, summary: summary(4 * Gi, 5 * Gi, stats), pods });
    const still = m.afterReclaim({ summary: summary(4 * Gi, 6 * Gi, stats) });
    expect(still.action === "evict" && still.pod.metadata.name).toBe("b");
  });

  it("separate imagefs: nodefs pressure has nothing to reclaim and ranks by logs and volumes only", () => {
    const m = new EvictionManager({
      config: evictionConfigFromFlags({ "eviction-hard": "nodefs.available<10%" }),
      imageFs: "separate",
    });
    const step = m.synchronize({
      now: t0,
      summary: summary(4 * Gi, 5 * Gi, [podStats("a", Mi)]),
      pods: [pod("a")],
    });
    expect(step.action).toBe("evict");
  });

  it("soft thresholds wait for their grace period and use the smaller of max-pod-grace and the pod's own", () => {
    const m = new EvictionManager({
      config: evictionConfigFromFlags({
        "eviction-hard": "",
        "eviction-soft": "memory.available<1Gi",
        "eviction-soft-grace-period": "memory.available=1m",
        "eviction-max-pod-grace-period": "60",
      }),
    });
    const pods = [pod("a", { grace: 20 })];
    const s = summary(500 * Mi, 50 * Gi, [podStats("a", Gi)]);
    expect(m.synchronize({ now: t0, summary: s, pods }).action).toBe("none");
    expect(m.isUnderMemoryPressure()).toBe(true);
    expect(m.synchronize({ now: t0 + 30_000, summary: s, pods }).action).toBe("none");
    const step = m.synchronize({ now: t0 + 60_000, summary: s, pods });
    expect(step.action === "evict" && step.gracePeriodSeconds).toBe(20);
  });

  it("keeps reporting pressure for the transition period, and a met threshold until min-reclaim is recovered", () => {
    const m = new EvictionManager({
      config: evictionConfigFromFlags({
        "eviction-hard": "memory.available<1Gi",
        "eviction-minimum-reclaim": "memory.available=500Mi",
        "eviction-pressure-transition-period": "30s",
        "enforce-node-allocatable": "",
      }),
    });
    const pods: Pod[] = [];
    m.synchronize({ now: t0, summary: summary(900 * Mi, 50 * Gi), pods });
    expect(m.nodeConditions()).toEqual(["MemoryPressure"]);
    // above the threshold but within min-reclaim: still met
    m.synchronize({ now: t0 + 10_000, summary: summary(1.2 * Gi, 50 * Gi), pods });
    expect(m.nodeConditions()).toEqual(["MemoryPressure"]);
    // recovered past threshold + min-reclaim, but within the transition period
    m.synchronize({ now: t0 + 20_000, summary: summary(2 * Gi, 50 * Gi), pods });
    expect(m.nodeConditions()).toEqual(["MemoryPressure"]);
    m.synchronize({ now: t0 + 45_000, summary: summary(2 * Gi, 50 * Gi), pods });
    expect(m.nodeConditions()).toEqual([]);
  });

  it("evicts pods over their emptyDir sizeLimit or ephemeral-storage limit first", () => {
    const m = new EvictionManager({
      config: evictionConfigFromFlags({ "eviction-hard": "memory.available<1Mi" }),
    });
    const p = pod("scratchy");
    p.spec.volumes = [{ name: "tmp", emptyDir: { sizeLimit: "1Gi" } }];
    const s = podStats("scratchy", Mi);
    s.volume = [{ name: "tmp", usedBytes: 2 * Gi }];
    const step = m.synchronize({ now: t0, summary: summary(4 * Gi, 50 * Gi, [s]), pods: [p] });
    expect(step.action === "evict" && step.message).toBe(
      'Usage of EmptyDir volume "tmp" exceeds the limit "1Gi". ',
    );
  });

  it("admits pods under pressure as upstream does", () => {
    const m = new EvictionManager({
      config: evictionConfigFromFlags({ "eviction-hard": "memory.available<1Gi" }),
    });
    expect(m.admit(pod("x")).admit).toBe(true);
    m.synchronize({ now: t0, summary: summary(100 * Mi, 50 * Gi), pods: [] });
    expect(m.admit(pod("be"))).toEqual({
      admit: false,
      reason: "Evicted",
      message: "The node had condition: [MemoryPressure]. ",
    });
    expect(m.admit(pod("burst", { memRequest: "1Mi" })).admit).toBe(true);
    const tolerant = pod("tol");
    tolerant.spec.tolerations = [
      { key: "node.kubernetes.io/memory-pressure", operator: "Exists", effect: "NoSchedule" },
    ];
    expect(m.admit(tolerant).admit).toBe(true);
    expect(m.admit(pod("crit", { critical: "static" })).admit).toBe(true);
  });
});

describe("node conditions and taints", () => {
  it("reports all three pressure conditions with upstream reasons and keeps transition times", () => {
    const first = nodePressureConditions(["DiskPressure"], undefined, t0);
    expect(first.map((c) => `${c.type}=${c.status}:${c.reason}`)).toEqual([
      "MemoryPressure=False:KubeletHasSufficientMemory",
      "DiskPressure=True:KubeletHasDiskPressure",
      "PIDPressure=False:KubeletHasSufficientPID",
    ]);
    const next = nodePressureConditions([], first, t0 + 5000);
    expect(next[0]!.lastTransitionTime).toBe(first[0]!.lastTransitionTime);
    expect(next[1]!.lastTransitionTime).toBe(new Date(t0 + 5000).toISOString());
    expect(nodePressureTaints(["PIDPressure", "MemoryPressure"])).toEqual([
      { key: "node.kubernetes.io/memory-pressure", effect: "NoSchedule" },
      { key: "node.kubernetes.io/pid-pressure", effect: "NoSchedule" },
    ]);
  });
});

describe("signal observations from raw numbers", () => {
  it("applies the working-set rule to cgroup and meminfo figures", () => {
    expect(
      memoryStatsFromCgroup({ capacityBytes: 8 * Gi, usageBytes: 3 * Gi, inactiveFileBytes: 1 * Gi }),
    ).toEqual({
      usageBytes: 3 * Gi,
      workingSetBytes: 2 * Gi,
      availableBytes: 6 * Gi,
    });
    expect(
      memoryStatsFromCgroup({ capacityBytes: 8, usageBytes: 1, inactiveFileBytes: 5 }).workingSetBytes,
    ).toBe(0);
    const mi = memoryStatsFromMeminfo({ MemTotal: 1000, MemFree: 200, "Inactive(file)": 300 });
    expect(mi).toMatchObject({ workingSetBytes: 500 * 1024, availableBytes: 500 * 1024 });
  });
  it("observes memory, filesystems, inodes and pids", () => {
    const fs = fsStatsFromStatfs({
      blockSize: 4096,
      blocks: 1000,
      blocksFree: 300,
      blocksAvailable: 250,
      files: 100,
      filesFree: 40,
    });
    expect(fs).toEqual({
      capacityBytes: 4_096_000,
      availableBytes: 1_024_000,
      usedBytes: 2_867_200,
      inodes: 100,
      inodesFree: 40,
      inodesUsed: 60,
    });
    const obs = makeSignalObservations({
      node: {
        memory: memoryStatsFromCgroup({ capacityBytes: 8 * Gi, usageBytes: 3 * Gi, inactiveFileBytes: Gi }),
        fs,
        runtime: { imageFs: fs },
        rlimit: { maxpid: 4194304, curproc: 300 },
        systemContainers: [{ name: "pods", memory: { availableBytes: Gi, workingSetBytes: Gi } }],
      },
    });
    expect(obs["memory.available"]).toEqual({ available: 6 * Gi, capacity: 8 * Gi });
    expect(obs["allocatableMemory.available"]).toEqual({ available: Gi, capacity: 2 * Gi });
    expect(obs["nodefs.available"]).toEqual({ available: 1_024_000, capacity: 4_096_000 });
    expect(obs["imagefs.inodesFree"]).toEqual({ available: 40, capacity: 100 });
    expect(obs["pid.available"]).toEqual({ available: 4194004, capacity: 4194304 });
    expect(obs["containerfs.available"]).toBeUndefined();
  });
});
