/**
 * runCycle with lent CycleBuffers (what the extender does from one request to
 * the next) decides exactly as runCycle with fresh arrays, whatever ran before
 * in the same buffers.
 */
import fc from "fast-check";
import { describe, expect, it } from "../../test/harness.ts";
import type { Node, Pod } from "../api/mod.ts";
import { buildSnapshot, CycleBuffers, type CycleOutcome, createProfile, runCycle } from "./mod.ts";

function node(i: number): Node {
  return {
    metadata: {
      name: `n${i}`,
      labels: { "kubernetes.io/hostname": `n${i}`, zone: `z${i % 3}`, size: i % 2 ? "large" : "small" },
    },
    spec: {
      ...(i % 4 === 0
        ? { taints: [{ key: "spot", value: "true", effect: "PreferNoSchedule" as const }] }
        : {}),
      ...(i % 7 === 3 ? { taints: [{ key: "db", value: "x", effect: "NoSchedule" as const }] } : {}),
      ...(i % 9 === 5 ? { unschedulable: true } : {}),
    },
    status: {
      allocatable: { cpu: `${2 + (i % 5)}`, memory: `${4 + (i % 3) * 4}Gi`, pods: "110" },
      images: [{ names: [`app:${i % 4}`], sizeBytes: 300_000_000 }],
    },
  };
}

function placed(i: number, j: number): Pod {
  return {
    metadata: { name: `p${i}-${j}`, namespace: "default", uid: `u${i}-${j}`, labels: { app: `a${j % 3}` } },
    spec: {
      nodeName: `n${i}`,
      containers: [
        { name: "c", image: `app:${j % 4}`, resources: { requests: { cpu: `${200 * (j + 1)}m` } } },
      ],
    },
  };
}

const nodes = Array.from({ length: 40 }, (_, i) => node(i));
const pods = nodes.flatMap((_, i) => Array.from({ length: i % 4 }, (_, j) => placed(i, j)));

const incoming = fc
  .record({
    cpu: fc.integer({ min: 0, max: 8000 }),
    memoryMi: fc.integer({ min: 0, max: 12000 }),
    image: fc.integer({ min: 0, max: 5 }),
    tolerateSpot: fc.boolean(),
    preferLarge: fc.boolean(),
    requireZone: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
    antiAffinity: fc.boolean(),
  })
  .map((o): Pod => {
    const spec: Pod["spec"] = {
      containers: [
        {
          name: "c",
          image: `app:${o.image}`,
          resources: { requests: { cpu: `${o.cpu}m`, memory: `${o.memoryMi}Mi` } },
        },
      ],
    };
    if (o.tolerateSpot) spec.tolerations = [{ key: "spot", operator: "Exists" }];
    if (o.requireZone !== undefined) spec.nodeSelector = { zone: `z${o.requireZone}` };
    if (o.preferLarge || o.antiAffinity) {
      spec.affinity = {};
      if (o.preferLarge) {
        spec.affinity.nodeAffinity = {
          preferredDuringSchedulingIgnoredDuringExecution: [
            {
              weight: 5,
              preference: { matchExpressions: [{ key: "size", operator: "In", values: ["large"] }] },
            },
          ],
        };
      }
      if (o.antiAffinity) {
        spec.affinity.podAntiAffinity = {
          preferredDuringSchedulingIgnoredDuringExecution: [
            {
              weight: 10,
              podAffinityTerm: { topologyKey: "zone", labelSelector: { matchLabels: { app: "a1" } } },
            },
          ],
        };
      }
    }
    return {
      metadata: { name: "new", namespace: "default", uid: "new", labels: { app: "a1" } },
      spec,
    };
  });

/** What a caller can read from an outcome, copied out of any buffers. */
function plain(o: CycleOutcome) {
  return {
    candidates: o.candidates.map((c) => c.name),
    verdicts: o.verdicts.map((v) => (v ? { plugin: v.plugin, code: v.code, reasons: v.reasons } : null)),
    feasible: o.feasible.map((n) => n.name),
    totals: [...o.totals],
    scored: o.scored.map((s) => ({ plugin: s.plugin, weight: s.weight, normalized: [...s.normalized] })),
    selected: o.selected,
    message: o.message,
  };
}

describe("CycleBuffers", () => {
  it("give the same outcome as fresh arrays, cycle after cycle", () => {
    const profile = createProfile();
    const snapshot = buildSnapshot(nodes, pods, profile.gates);
    const buffers = new CycleBuffers();
    const subsets = fc.oneof(
      fc.constant(undefined),
      fc.uniqueArray(fc.integer({ min: 0, max: nodes.length - 1 }), { maxLength: nodes.length }),
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(incoming, subsets, fc.boolean()), { minLength: 1, maxLength: 6 }),
        (runs) => {
          for (const [pod, subset, skipScore] of runs) {
            const candidates = subset?.map((i) => snapshot.nodeInfos[i]!);
            const input = { pod, snapshot, profile, skipScore, ...(candidates ? { candidates } : {}) };
            const fresh = plain(runCycle(input));
            const reused = plain(runCycle({ ...input, buffers }));
            expect(reused).toEqual(fresh);
          }
        },
      ),
      { numRuns: 150, seed: 20261124 },
    );
  });
});
