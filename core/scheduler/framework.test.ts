import { describe, expect, it } from "../../test/harness.ts";
import type { Node, Pod } from "../api/mod.ts";
import type { KiteError } from "../errors/mod.ts";
import {
  buildSnapshot,
  computePodRequests,
  createProfile,
  fieldErrorType,
  numFeasibleNodesToFind,
  profileFromDocument,
  resolveFeatureGates,
  selectVictimsOnNode,
  simulate,
} from "./mod.ts";

function node(
  name: string,
  extra: Partial<{ cpu: string; memory: string; pods: string; labels: Record<string, string> }> = {},
): Node {
  return {
    metadata: { name, labels: { "kubernetes.io/hostname": name, ...(extra.labels ?? {}) } },
    spec: {},
    status: {
      allocatable: { cpu: extra.cpu ?? "4", memory: extra.memory ?? "8Gi", pods: extra.pods ?? "110" },
    },
  };
}

function pod(name: string, spec: Partial<Pod["spec"]> = {}, labels: Record<string, string> = {}): Pod {
  return {
    metadata: { name, namespace: "default", uid: `uid-${name}`, labels },
    spec: { containers: [{ name: "c", resources: { requests: { cpu: "100m", memory: "128Mi" } } }], ...spec },
  };
}

function configError(fn: () => unknown): KiteError {
  try {
    fn();
  } catch (e) {
    return e as KiteError;
  }
  throw new Error("expected an error");
}

describe("profile", () => {
  it("defaults to upstream's filter order and score weights", () => {
    const p = createProfile();
    expect(p.filterPlugins.map((f) => f.name)).toEqual([
      "NodeUnschedulable",
      "NodeName",
      "TaintToleration",
      "NodeAffinity",
      "NodePorts",
      "NodeResourcesFit",
      "VolumeRestrictions",
      "PodTopologySpread",
      "InterPodAffinity",
    ]);
    expect(p.scorePlugins.map((s) => [s.plugin.name, s.weight])).toEqual([
      ["TaintToleration", 3],
      ["NodeAffinity", 2],
      ["NodeResourcesFit", 1],
      ["PodTopologySpread", 2],
      ["InterPodAffinity", 2],
      ["NodeResourcesBalancedAllocation", 1],
      ["ImageLocality", 1],
    ]);
    expect(p.pluginArgs.NodeResourcesFit).toMatchObject({
      scoringStrategy: {
        type: "LeastAllocated",
        resources: [
          { name: "cpu", weight: 1 },
          { name: "memory", weight: 1 },
        ],
      },
    });
    expect(p.pluginArgs.InterPodAffinity).toMatchObject({ hardPodAffinityWeight: 1 });
  });

  it("disables, re-weights in place and appends plugins", () => {
    const p = createProfile({
      plugins: {
        score: {
          disabled: [{ name: "ImageLocality" }],
          enabled: [
            { name: "NodeAffinity", weight: 5 },
            { name: "NodeLabel", weight: 4 },
          ],
        },
      },
      pluginConfig: [{ name: "NodeLabel", args: { presentLabelsPreference: ["ssd"] } }],
    });
    expect(p.scorePlugins.map((s) => [s.plugin.name, s.weight])).toEqual([
      ["TaintToleration", 3],
      ["NodeAffinity", 5],
      ["NodeResourcesFit", 1],
      ["PodTopologySpread", 2],
      ["InterPodAffinity", 2],
      ["NodeResourcesBalancedAllocation", 1],
      ["NodeLabel", 4],
    ]);
    expect(createProfile({ plugins: { filter: { disabled: [{ name: "*" }] } } }).filterPlugins).toEqual([]);
  });

  it("applies v1 defaulting in pluginConfig (weight 0 becomes 1) but validates the range", () => {
    const p = createProfile({
      pluginConfig: [
        {
          name: "NodeResourcesFit",
          args: { scoringStrategy: { type: "MostAllocated", resources: [{ name: "cpu", weight: 0 }] } },
        },
      ],
    });
    expect(p.pluginArgs.NodeResourcesFit).toMatchObject({
      scoringStrategy: { resources: [{ name: "cpu", weight: 1 }] },
    });
    const err = configError(() =>
      createProfile({
        pluginConfig: [
          {
            name: "NodeResourcesFit",
            args: { scoringStrategy: { resources: [{ name: "cpu", weight: 101 }] } },
          },
        ],
      }),
    );
    expect(err.field).toBe("profile.pluginConfig[0].args.scoringStrategy.resources[0].weight");
    expect(fieldErrorType(err)).toBe("FieldValueInvalid");
  });

  it("names the field of bad plugin names, strategies, shapes and weights", () => {
    expect(
      configError(() => createProfile({ plugins: { score: { enabled: [{ name: "Nope" }] } } })).field,
    ).toBe("profile.plugins.score.enabled[0].name");
    expect(
      configError(() => createProfile({ plugins: { score: { enabled: [{ name: "NodePorts" }] } } })).field,
    ).toBe("profile.plugins.score.enabled[0].name");
    const strategy = configError(() =>
      createProfile({
        pluginConfig: [{ name: "NodeResourcesFit", args: { scoringStrategy: { type: "Fancy" } } }],
      }),
    );
    expect(fieldErrorType(strategy)).toBe("FieldValueNotSupported");
    expect(strategy.field).toBe("profile.pluginConfig[0].args.scoringStrategy.type");
    const shape = configError(() =>
      createProfile({
        pluginConfig: [
          {
            name: "NodeResourcesFit",
            args: {
              scoringStrategy: {
                type: "RequestedToCapacityRatio",
                requestedToCapacityRatio: {
                  shape: [
                    { utilization: 50, score: 1 },
                    { utilization: 40, score: 2 },
                  ],
                },
              },
            },
          },
        ],
      }),
    );
    expect(shape.field).toBe(
      "profile.pluginConfig[0].args.scoringStrategy.requestedToCapacityRatio.shape[1].utilization",
    );
    expect(
      configError(() =>
        createProfile({ pluginConfig: [{ name: "InterPodAffinity", args: { hardPodAffinityWeight: 101 } }] }),
      ).field,
    ).toBe("profile.pluginConfig[0].args.hardPodAffinityWeight");
    expect(
      configError(() =>
        createProfile({ pluginConfig: [{ name: "TaintToleration" }, { name: "TaintToleration" }] }),
      ).field,
    ).toBe("profile.pluginConfig[1].name");
    expect(configError(() => createProfile({ percentageOfNodesToScore: 120 })).field).toBe(
      "profile.percentageOfNodesToScore",
    );
  });

  it("picks a profile out of a KubeSchedulerConfiguration by schedulerName", () => {
    const p = profileFromDocument(
      {
        apiVersion: "kubescheduler.config.k8s.io/v1",
        kind: "KubeSchedulerConfiguration",
        profiles: [
          { schedulerName: "a" },
          { schedulerName: "b", plugins: { score: { disabled: [{ name: "*" }] } } },
        ],
      },
      { schedulerName: "b" },
    );
    expect(p.schedulerName).toBe("b");
    expect(p.scorePlugins).toEqual([]);
  });
});

describe("pod requests and NodeInfo aggregation", () => {
  const gates = resolveFeatureGates();
  it("counts init containers, sidecars and overhead", () => {
    const p = pod("p", {
      containers: [{ name: "a", resources: { requests: { cpu: "500m", memory: "100Mi" } } }],
      initContainers: [
        { name: "side", restartPolicy: "Always", resources: { requests: { cpu: "200m" } } },
        { name: "init", resources: { requests: { cpu: "1", memory: "50Mi" } } },
      ],
      overhead: { cpu: "10m" },
    });
    const r = computePodRequests(p, { podLevelResources: true, nonZero: false });
    // sum = 500m + 200m (sidecar) = 700m; init candidate = 1000m + 200m = 1200m → max 1200m, + 10m overhead
    expect(r.milliCPU).toBe(1210);
    expect(r.memory).toBe(100 * 1024 * 1024);
  });

  it("uses 100m / 200Mi for missing requests when scoring, but keeps explicit zeros", () => {
    const p = pod("p", { containers: [{ name: "a" }, { name: "b", resources: { requests: { cpu: "0" } } }] });
    const r = computePodRequests(p, { podLevelResources: true, nonZero: true });
    expect(r.milliCPU).toBe(100);
    expect(r.memory).toBe(2 * 200 * 1024 * 1024);
  });

  it("aggregates the pods on a node, ignoring unbound and terminal pods", () => {
    const placed = [
      pod("a", { nodeName: "n1" }),
      { ...pod("b", { nodeName: "n1" }), status: { phase: "Succeeded" as const } },
      pod("c"),
      pod("d", { nodeName: "elsewhere" }),
      pod("e", {
        nodeName: "n1",
        containers: [{ name: "x", ports: [{ containerPort: 80, hostPort: 8080 }] }],
      }),
    ];
    const s = buildSnapshot([node("n1")], placed, gates);
    const ni = s.byName.get("n1")!;
    expect(ni.pods.map((p) => p.name)).toEqual(["a", "e"]);
    expect(ni.requested.milliCPU).toBe(100);
    expect(ni.nonZeroRequested.milliCPU).toBe(200);
    expect([...(ni.usedPorts.get("0.0.0.0") ?? [])]).toEqual(["TCP/8080"]);
  });

  it("names the field of a bad quantity", () => {
    const bad = pod("bad", {
      nodeName: "n1",
      containers: [{ name: "c", resources: { requests: { cpu: "lots" } } }],
    });
    const err = configError(() => buildSnapshot([node("n1")], [bad], gates));
    expect(err.field).toBe("pods[0].spec.containers[0].resources.requests[cpu]");
  });
});

describe("simulate", () => {
  it("explains each node: rejecting plugin and reasons, per-plugin scores, total, chosen node", () => {
    const nodes = [
      node("small", { cpu: "1" }),
      node("big", { cpu: "8" }),
      {
        ...node("tainted"),
        spec: { taints: [{ key: "dedicated", value: "x", effect: "NoSchedule" as const }] },
      },
    ];
    const r = simulate({
      pod: pod("web", { containers: [{ name: "c", resources: { requests: { cpu: "2" } } }] }),
      nodes,
    });
    const byName = Object.fromEntries(r.nodes.map((n) => [n.node, n]));
    expect(byName.small!.filter).toMatchObject({
      code: "UnschedulableAndUnresolvable",
      plugin: "NodeResourcesFit",
      reasons: ["Insufficient cpu"],
      insufficientResources: [
        {
          resourceName: "cpu",
          reason: "Insufficient cpu",
          requested: 2000,
          used: 0,
          capacity: 1000,
          unresolvable: true,
        },
      ],
    });
    expect(byName.tainted!.filter).toEqual({
      code: "UnschedulableAndUnresolvable",
      plugin: "TaintToleration",
      reasons: ["node(s) had untolerated taint(s)"],
    });
    expect(byName.big!.filter.code).toBe("Success");
    const fit = byName.big!.scores!.find((s) => s.plugin === "NodeResourcesFit")!;
    // cpu (8000-2000)*100/8000 = 75; memory (8Gi - 200Mi)*100/8Gi = 97 → (75+97)/2 = 86
    expect(fit).toEqual({ plugin: "NodeResourcesFit", raw: 86, normalized: 86, weight: 1, weighted: 86 });
    expect(byName.big!.total).toBe(byName.big!.scores!.reduce((a, s) => a + s.weighted, 0));
    expect(r.selectedNode).toBe("big");
    expect(r.feasibleNodes).toBe(1);
  });

  it("breaks ties deterministically by node name", () => {
    const r = simulate({ pod: pod("p"), nodes: [node("n-b"), node("n-a"), node("n-c")] });
    expect(r.selectedNode).toBe("n-a");
  });

  it("words the FitError like upstream when nothing fits", () => {
    const r = simulate({
      pod: pod("p", { nodeSelector: { disk: "ssd" } }),
      nodes: [node("a"), node("b", { labels: { disk: "ssd" }, cpu: "50m" })],
    });
    expect(r.selectedNode).toBeNull();
    expect(r.message).toBe(
      "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) didn't match Pod's node affinity/selector.",
    );
  });

  it("fails every node when a PreFilter rejects the pod", () => {
    const r = simulate({
      pod: pod("p", {
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [
                {
                  matchFields: [
                    { key: "metadata.name", operator: "In", values: ["a"] },
                    { key: "metadata.name", operator: "In", values: ["b"] },
                  ],
                },
              ],
            },
          },
        },
      }),
      nodes: [node("a"), node("b")],
    });
    expect(r.preFilter.filter((p) => p.code !== "Skip")).toEqual([
      {
        plugin: "NodeAffinity",
        code: "UnschedulableAndUnresolvable",
        reasons: ["pod affinity terms conflict"],
      },
    ]);
    expect(r.nodes.every((n) => n.filter.plugin === "NodeAffinity")).toBe(true);
  });

  it("rejects host port conflicts and same-volume conflicts", () => {
    const existing = [
      pod("x", {
        nodeName: "a",
        containers: [{ name: "c", ports: [{ containerPort: 1, hostPort: 8080, hostIP: "10.0.0.1" }] }],
      }),
      pod("y", { nodeName: "b", volumes: [{ name: "v", awsElasticBlockStore: { volumeID: "vol-1" } }] }),
    ];
    const r = simulate({
      pod: pod("p", {
        containers: [{ name: "c", ports: [{ containerPort: 1, hostPort: 8080 }] }],
        volumes: [{ name: "v", awsElasticBlockStore: { volumeID: "vol-1" } }],
      }),
      nodes: [node("a"), node("b"), node("c")],
      pods: existing,
    });
    const verdicts = Object.fromEntries(r.nodes.map((n) => [n.node, n.filter]));
    expect(verdicts.a).toMatchObject({
      plugin: "NodePorts",
      reasons: ["node(s) didn't have free ports for the requested pod ports"],
    });
    expect(verdicts.b).toMatchObject({
      plugin: "VolumeRestrictions",
      reasons: ["node(s) had no available disk"],
    });
    expect(r.selectedNode).toBe("c");
  });

  it("enforces required pod affinity and anti-affinity per topology domain", () => {
    const nodes = [node("a", { labels: { zone: "z1" } }), node("b", { labels: { zone: "z2" } })];
    const existing = [pod("db", { nodeName: "a" }, { app: "db" })];
    const affinity = simulate({
      pod: pod("web", {
        affinity: {
          podAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [
              { topologyKey: "zone", labelSelector: { matchLabels: { app: "db" } } },
            ],
          },
        },
      }),
      nodes,
      pods: existing,
    });
    expect(affinity.selectedNode).toBe("a");
    expect(affinity.nodes[1]!.filter).toMatchObject({
      plugin: "InterPodAffinity",
      reasons: ["node(s) didn't match pod affinity rules"],
    });
    const anti = simulate({
      pod: pod("web", {
        affinity: {
          podAntiAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [
              { topologyKey: "zone", labelSelector: { matchLabels: { app: "db" } } },
            ],
          },
        },
      }),
      nodes,
      pods: existing,
    });
    expect(anti.selectedNode).toBe("b");
    expect(anti.nodes[0]!.filter.reasons).toEqual(["node(s) didn't match pod anti-affinity rules"]);
  });

  it("prefers nodes near pods matched by preferred affinity", () => {
    const nodes = [node("a", { labels: { zone: "z1" } }), node("b", { labels: { zone: "z2" } })];
    const r = simulate({
      pod: pod("web", {
        affinity: {
          podAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
              {
                weight: 10,
                podAffinityTerm: { topologyKey: "zone", labelSelector: { matchLabels: { app: "cache" } } },
              },
            ],
          },
        },
      }),
      nodes,
      pods: [pod("cache", { nodeName: "b" }, { app: "cache" })],
    });
    const ipa = (n: string) =>
      r.nodes.find((x) => x.node === n)!.scores!.find((s) => s.plugin === "InterPodAffinity")!;
    expect(ipa("b").normalized).toBe(100);
    expect(ipa("a").normalized).toBe(0);
    expect(r.selectedNode).toBe("b");
  });

  it("spreads pods across zones with topology spread constraints", () => {
    const nodes = [
      node("a", { labels: { zone: "z1" } }),
      node("b", { labels: { zone: "z2" } }),
      node("nozone"),
    ];
    const existing = [pod("w1", { nodeName: "a" }, { app: "w" }), pod("w2", { nodeName: "a" }, { app: "w" })];
    const spread = (when: "DoNotSchedule" | "ScheduleAnyway") =>
      simulate({
        pod: pod(
          "w3",
          {
            topologySpreadConstraints: [
              {
                maxSkew: 1,
                topologyKey: "zone",
                whenUnsatisfiable: when,
                labelSelector: { matchLabels: { app: "w" } },
              },
            ],
          },
          { app: "w" },
        ),
        nodes,
        pods: existing,
      });
    const hard = spread("DoNotSchedule");
    const verdict = Object.fromEntries(hard.nodes.map((n) => [n.node, n.filter]));
    expect(verdict.a).toMatchObject({
      code: "Unschedulable",
      reasons: ["node(s) didn't match pod topology spread constraints"],
    });
    expect(verdict.nozone).toMatchObject({
      code: "UnschedulableAndUnresolvable",
      reasons: ["node(s) didn't match pod topology spread constraints (missing required label)"],
    });
    expect(hard.selectedNode).toBe("b");
    const soft = spread("ScheduleAnyway");
    const pts = (n: string) =>
      soft.nodes.find((x) => x.node === n)!.scores!.find((s) => s.plugin === "PodTopologySpread")!;
    // a: 2*log(4) = 2.77 → 3; b: 0 → normalized 100*(3+0-s)/3: a → 0, b → 100; nozone ignored → 0
    expect([pts("a").normalized, pts("b").normalized, pts("nozone").normalized]).toEqual([0, 100, 0]);
  });

  it("keeps seed 001's node-label preference, off by default", () => {
    const nodes = [node("plain"), node("fast", { labels: { ssd: "true" } })];
    expect(simulate({ pod: pod("p"), nodes }).nodes[0]!.scores!.some((s) => s.plugin === "NodeLabel")).toBe(
      false,
    );
    const profile = createProfile({
      plugins: { score: { enabled: [{ name: "NodeLabel", weight: 10 }] } },
      pluginConfig: [{ name: "NodeLabel", args: { presentLabelsPreference: ["ssd"] } }],
    });
    const r = simulate({ pod: pod("p"), nodes, profile });
    expect(r.nodes.find((n) => n.node === "fast")!.scores!.find((s) => s.plugin === "NodeLabel")).toEqual({
      plugin: "NodeLabel",
      raw: 100,
      normalized: 100,
      weight: 10,
      weighted: 1000,
    });
    expect(r.selectedNode).toBe("fast");
  });

  it("limits the search with an explicit percentageOfNodesToScore", () => {
    expect(numFeasibleNodesToFind(1000, 0)).toBe(420);
    expect(numFeasibleNodesToFind(5000, 0)).toBe(500);
    expect(numFeasibleNodesToFind(15000, 0)).toBe(750);
    expect(numFeasibleNodesToFind(50, 10)).toBe(50);
    const nodes = Array.from({ length: 120 }, (_, i) => node(`n${String(i).padStart(3, "0")}`));
    const r = simulate({ pod: pod("p"), nodes, profile: createProfile({ percentageOfNodesToScore: 10 }) });
    expect(r.feasibleNodes).toBe(100);
    expect(r.nodes.filter((n) => n.filter.code === "Skip")).toHaveLength(20);
  });
});

describe("preemption: selectVictimsOnNode", () => {
  it("evicts the fewest lower-priority pods, least important first", () => {
    const gates = resolveFeatureGates();
    const profile = createProfile();
    const big = (name: string, priority: number, cpu: string) =>
      pod(name, { nodeName: "n", priority, containers: [{ name: "c", resources: { requests: { cpu } } }] });
    const snapshot = buildSnapshot(
      [node("n", { cpu: "4" })],
      [big("low-small", 1, "1"), big("low-big", 1, "2"), big("lowest", 0, "500m"), big("high", 100, "500m")],
      gates,
    );
    const preemptor = pod("p", {
      priority: 50,
      containers: [{ name: "c", resources: { requests: { cpu: "2" } } }],
    });
    const v = selectVictimsOnNode(preemptor, "n", snapshot, profile)!;
    // all lower gone: 3.5 free. Reprieve by priority: low-small (fits), low-big (does not: victim), lowest (fits)
    expect(v.pods.map((p) => p.metadata.name).sort()).toEqual(["low-big"]);
    expect(v.numPDBViolations).toBe(0);
    const hopeless = pod("q", {
      priority: 50,
      containers: [{ name: "c", resources: { requests: { cpu: "4" } } }],
    });
    expect(selectVictimsOnNode(hopeless, "n", snapshot, profile)).toBeNull();
  });
});

describe("IncrementalSnapshotBuilder", () => {
  it("reuses NodeInfos of unchanged nodes and rebuilds changed ones", async () => {
    const { IncrementalSnapshotBuilder } = await import("./mod.ts");
    const gates = resolveFeatureGates();
    const b = new IncrementalSnapshotBuilder(gates);
    const nodes = [node("a"), node("b")];
    const p1 = pod("p1", { nodeName: "a" });
    const p2 = pod("p2", { nodeName: "b" });
    const s1 = b.build(nodes, [p1, p2]);
    const p3 = pod("p3", { nodeName: "b" });
    const s2 = b.build(nodes, [p1, p2, p3]);
    expect(s2.byName.get("a")).toBe(s1.byName.get("a"));
    expect(s2.byName.get("b")).not.toBe(s1.byName.get("b"));
    expect(s2.byName.get("b")!.requested.milliCPU).toBe(200);
    const s3 = b.build([nodes[1]!], [p1, p2, p3]);
    expect(s3.nodeInfos.map((n) => [n.name, n.index])).toEqual([["b", 0]]);
    const fresh = buildSnapshot([nodes[1]!], [p1, p2, p3], gates);
    expect(s3.byName.get("b")!.requested).toEqual(fresh.byName.get("b")!.requested);
  });
});

describe("PodTopologySpread details", () => {
  const nodes = [
    node("a", { labels: { zone: "z1" } }),
    node("b", { labels: { zone: "z2" } }),
    node("c", { labels: { zone: "z3", pool: "batch" } }),
  ];
  const existing = [
    pod("w1", { nodeName: "a" }, { app: "w" }),
    pod("w2", { nodeName: "b" }, { app: "w" }),
    pod("w3", { nodeName: "c" }, { app: "w" }),
    pod("w4", { nodeName: "c" }, { app: "w" }),
  ];
  const constraint = (extra: Record<string, unknown> = {}) => ({
    maxSkew: 1,
    topologyKey: "zone",
    whenUnsatisfiable: "DoNotSchedule" as const,
    labelSelector: { matchLabels: { app: "w" } },
    ...extra,
  });
  const run = (spec: Partial<Pod["spec"]>) =>
    Object.fromEntries(
      simulate({ pod: pod("new", spec, { app: "w" }), nodes, pods: existing }).nodes.map((n) => [
        n.node,
        n.filter.code,
      ]),
    );

  it("counts only nodes matching the pod's node affinity (nodeAffinityPolicy Honor)", () => {
    // Only z1 is counted (the nodeSelector excludes b and c): min 1, skew on a = 1 + 1 - 1 = 1.
    const r = run({ nodeSelector: { zone: "z1" }, topologySpreadConstraints: [constraint()] });
    expect(r.a).toBe("Success");
    // With Ignore, z3's two pods still leave min = 1; adding to z1 gives skew 1.
    const ignore = run({ topologySpreadConstraints: [constraint({ nodeAffinityPolicy: "Ignore" })] });
    expect([ignore.a, ignore.b, ignore.c]).toEqual(["Success", "Success", "Unschedulable"]);
  });

  it("treats the global minimum as 0 while fewer than minDomains domains exist", () => {
    const r = run({
      nodeSelector: { zone: "z1" },
      topologySpreadConstraints: [constraint({ minDomains: 3 })],
    });
    // Only z1 is eligible (1 domain < 3): min 0, skew on a = 1 + 1 - 0 = 2 > 1.
    expect(r.a).toBe("Unschedulable");
  });
});
