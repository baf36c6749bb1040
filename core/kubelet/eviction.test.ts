import { loadFixture } from "../../test/fixtures.ts";
import { describe, expect, it } from "../../test/harness.ts";
import type { Pod } from "../api/mod.ts";
import { parseQuantity, quantityValue } from "../quantity/mod.ts";
import { type FixtureFileData, type FixturePod, fixturePod } from "./fixture-pods.test-util.ts";
import {
  addAllocatableThresholds,
  type CmpFunc,
  type DiskResource,
  disk,
  type EvictionSignal,
  evictionConfigFromFlags,
  exceedDiskRequests,
  exceedMemoryRequests,
  type FsStatsType,
  isLocalVolume,
  makeSignalObservations,
  memory,
  type NodeConditionType,
  nodeConditions,
  nodeConditionsObservedSince,
  orderedBy,
  type PodStatsSummary,
  parseDuration,
  parsePercentage,
  parseThresholdConfig,
  priority,
  process,
  rankDiskPressureFunc,
  rankMemoryPressure,
  rankPIDPressure,
  type SignalObservations,
  type StatsSummary,
  sortByEvictionPriority,
  type Threshold,
  type ThresholdsObservedAt,
  thresholdKey,
  thresholdsMet,
  thresholdsMetGracePeriod,
} from "./mod.ts";

const eviction = await loadFixture<FixtureFileData>("kubelet/eviction.json");

interface FixtureValue {
  quantity?: string;
  bytesOrCount?: number;
  percentage?: number;
}
interface FixtureThreshold {
  signal: EvictionSignal;
  operator: "LessThan";
  value: FixtureValue;
  gracePeriod?: string;
  minReclaim?: FixtureValue;
}

const qty = (s: string | number) => quantityValue(parseQuantity(s));

function value(v: FixtureValue): { quantity?: number; percentage?: number } {
  if (v.percentage !== undefined) return { percentage: v.percentage };
  return { quantity: v.bytesOrCount ?? qty(v.quantity!) };
}

function threshold(t: FixtureThreshold): Threshold {
  const out: Threshold = {
    signal: t.signal,
    operator: t.operator,
    value: value(t.value),
    gracePeriodMs: t.gracePeriod ? parseDuration(t.gracePeriod) : 0,
  };
  if (t.minReclaim) out.minReclaim = value(t.minReclaim);
  return out;
}

/** A comparable form: percentages rounded (float32), zero min-reclaim dropped. */
function canon(t: Threshold): string {
  const v = (x: { quantity?: number; percentage?: number }) =>
    x.quantity !== undefined ? `q${x.quantity}` : `p${x.percentage!.toFixed(5)}`;
  const mr = t.minReclaim && (t.minReclaim.quantity ?? 1) !== 0 ? v(t.minReclaim) : "-";
  return `${t.signal}<${v(t.value)} grace=${t.gracePeriodMs} mr=${mr}`;
}
const canonSet = (ts: readonly Threshold[]) => ts.map(canon).sort();

interface RankStats {
  memoryWorkingSet?: string;
  memoryWorkingSetBytes?: number;
  perContainer?: Record<string, string>;
  perLocalVolumeUsed?: string;
  perLocalVolumeInodesUsed?: string;
  processCount?: number;
}

function podStats(pod: Pod, s: RankStats): PodStatsSummary {
  const pc = s.perContainer ?? {};
  const num = (x: string | undefined) => (x === undefined ? undefined : qty(x));
  const out: PodStatsSummary = {
    podRef: { name: pod.metadata.name!, uid: pod.metadata.uid! },
    containers: pod.spec.containers.map((c) => ({
      name: c.name,
      rootfs: { usedBytes: num(pc.rootfsUsed), inodesUsed: num(pc.rootfsInodesUsed) },
      logs: { usedBytes: num(pc.logsUsed), inodesUsed: num(pc.logsInodesUsed) },
    })),
    volume: (pod.spec.volumes ?? []).filter(isLocalVolume).map((v) => ({
      name: v.name,
      usedBytes: num(s.perLocalVolumeUsed),
      inodesUsed: num(s.perLocalVolumeInodesUsed),
    })),
  };
  if (s.memoryWorkingSet !== undefined || s.memoryWorkingSetBytes !== undefined) {
    out.memory = { workingSetBytes: s.memoryWorkingSetBytes ?? qty(s.memoryWorkingSet!) };
  }
  if (s.processCount !== undefined) out.process_stats = { process_count: s.processCount };
  return out;
}

function parseComparator(
  name: string,
  stats: (p: Pod) => PodStatsSummary | undefined,
): { cmp: CmpFunc; fs?: FsStatsType[]; resource?: DiskResource } {
  const m = /^(\w+)(?:\(fs=\[([^\]]*)\], resource=([\w-]+)\))?$/.exec(name);
  if (!m) throw new Error(`bad comparator ${name}`);
  const fs = (m[2]?.split(",") ?? []) as FsStatsType[];
  const resource = m[3] as DiskResource;
  switch (m[1]) {
    case "exceedMemoryRequests":
      return { cmp: exceedMemoryRequests(stats) };
    case "priority":
      return { cmp: priority };
    case "memory":
      return { cmp: memory(stats) };
    case "process":
      return { cmp: process(stats) };
    case "exceedDiskRequests":
      return { cmp: exceedDiskRequests(stats, fs, resource), fs, resource };
    case "disk":
      return { cmp: disk(stats, fs, resource), fs, resource };
    default:
      throw new Error(`unknown comparator ${name}`);
  }
}

interface RankInput {
  comparators: string[];
  pods: FixturePod[];
  stats: Record<string, RankStats>;
  initialOrder: string[];
}

describe("kubelet fixtures: eviction.json", () => {
  it("has cases", () => expect(eviction.cases.length).toBeGreaterThan(0));
  for (const c of eviction.cases) {
    it(c.id, () => {
      const input = c.input as Record<string, unknown>;
      const expected = c.expected as Record<string, unknown>;
      switch (c.kind) {
        case "eviction.rank": {
          const r = input as unknown as RankInput;
          const pods = new Map(r.pods.map((p) => [p.name!, fixturePod(p)]));
          const statsByUid = new Map<string, PodStatsSummary>();
          for (const [name, s] of Object.entries(r.stats)) {
            const pod = pods.get(name)!;
            statsByUid.set(pod.metadata.uid!, podStats(pod, s));
          }
          const stats = (p: Pod) => statsByUid.get(p.metadata.uid!);
          const initial = r.initialOrder.map((n) => pods.get(n)!);
          const parsed = r.comparators.map((n) => parseComparator(n, stats));
          const sorted = [...initial].sort(orderedBy(...parsed.map((p) => p.cmp)));
          const want = (expected as { order: string[] }).order;
          expect(sorted.map((p) => p.metadata.name)).toEqual(want);
          // the rank functions (key kernels) agree wherever the comparator list is an upstream rank function
          const names = r.comparators.map((n) => n.replace(/\(.*/, ""));
          if (names.join() === "exceedMemoryRequests,priority,memory") {
            expect(rankMemoryPressure(initial, stats).map((p) => p.metadata.name)).toEqual(want);
          }
          if (names.join() === "priority,process") {
            expect(rankPIDPressure(initial, stats).map((p) => p.metadata.name)).toEqual(want);
          }
          if (names.join() === "exceedDiskRequests,priority,disk") {
            const p = parsed[0]!;
            expect(
              rankDiskPressureFunc(p.fs!, p.resource!)(initial, stats).map((x) => x.metadata.name),
            ).toEqual(want);
          }
          return;
        }
        case "eviction.parseThresholdConfig": {
          const i = input as {
            enforceNodeAllocatable: string[];
            evictionHard: Record<string, string>;
            evictionSoft: Record<string, string>;
            evictionSoftGracePeriod: Record<string, string>;
            evictionMinimumReclaim: Record<string, string>;
            equivalentFlags: Record<string, string>;
          };
          const e = expected as { error: boolean; thresholds: FixtureThreshold[] };
          const fromConfig = () =>
            parseThresholdConfig(
              i.enforceNodeAllocatable,
              i.evictionHard,
              i.evictionSoft,
              i.evictionSoftGracePeriod,
              i.evictionMinimumReclaim,
            );
          const flags = Object.fromEntries(
            Object.entries(i.equivalentFlags).map(([k, v]) => [k.replace(/^--/, ""), v]),
          );
          const fromFlags = () =>
            evictionConfigFromFlags(flags, { enforceNodeAllocatable: i.enforceNodeAllocatable }).thresholds;
          if (e.error) {
            expect(fromConfig).toThrow();
            expect(fromFlags).toThrow();
            return;
          }
          const want = canonSet(e.thresholds.map(threshold));
          expect(canonSet(fromConfig())).toEqual(want);
          expect(canonSet(fromFlags())).toEqual(want);
          return;
        }
        case "eviction.addAllocatableThresholds": {
          const got = addAllocatableThresholds((input.thresholds as FixtureThreshold[]).map(threshold));
          expect(canonSet(got)).toEqual(canonSet((expected.thresholds as FixtureThreshold[]).map(threshold)));
          return;
        }
        case "eviction.thresholdsMet": {
          const obs: SignalObservations = {};
          for (const [sig, o] of Object.entries(
            input.observations as Record<string, { available: string; capacity?: string }>,
          )) {
            obs[sig as EvictionSignal] = {
              available: qty(o.available),
              ...(o.capacity !== undefined ? { capacity: qty(o.capacity) } : {}),
            };
          }
          const got = thresholdsMet(
            (input.thresholds as FixtureThreshold[]).map(threshold),
            obs,
            input.enforceMinReclaim as boolean,
          );
          expect(canonSet(got)).toEqual(canonSet((expected.met as FixtureThreshold[]).map(threshold)));
          return;
        }
        case "eviction.thresholdsMetGracePeriod": {
          const now = 1_000_000_000;
          const observedAt: ThresholdsObservedAt = new Map();
          for (const o of input.observedAt as {
            threshold: FixtureThreshold;
            firstObservedSecondsAgo: number;
          }[]) {
            const t = threshold(o.threshold);
            observedAt.set(thresholdKey(t), { threshold: t, at: now - o.firstObservedSecondsAgo * 1000 });
          }
          const got = thresholdsMetGracePeriod(observedAt, now);
          expect(canonSet(got)).toEqual(canonSet((expected.met as FixtureThreshold[]).map(threshold)));
          return;
        }
        case "eviction.nodeConditionsObservedSince": {
          const now = 1_000_000_000;
          const observedAt = new Map<NodeConditionType, number>();
          for (const [cond, s] of Object.entries(input.lastObservedSecondsAgo as Record<string, number>)) {
            observedAt.set(cond as NodeConditionType, now - s * 1000);
          }
          const got = nodeConditionsObservedSince(observedAt, parseDuration(input.period as string), now);
          expect([...got].sort()).toEqual([...(expected.conditions as string[])].sort());
          return;
        }
        case "eviction.sortThresholdsByEvictionPriority": {
          const ts = (input.signals as EvictionSignal[]).map(
            (signal): Threshold => ({
              signal,
              operator: "LessThan",
              value: { quantity: 1 },
              gracePeriodMs: 0,
            }),
          );
          expect(sortByEvictionPriority(ts).map((t) => t.signal)).toEqual(expected.signals);
          return;
        }
        case "eviction.parsePercentage": {
          const e = expected as { error: boolean; fraction: number };
          if (e.error) {
            expect(() => parsePercentage(input.value as string)).toThrow();
          } else {
            expect(parsePercentage(input.value as string)).toBeCloseTo(e.fraction, 6);
          }
          return;
        }
        case "eviction.nodeConditions": {
          const ts = (input.signals as EvictionSignal[]).map(
            (signal): Threshold => ({
              signal,
              operator: "LessThan",
              value: { quantity: 1 },
              gracePeriodMs: 0,
            }),
          );
          expect([...nodeConditions(ts)].sort()).toEqual([...(expected.conditions as string[])].sort());
          return;
        }
        case "eviction.makeSignalObservations": {
          const got = makeSignalObservations(input.summary as StatsSummary);
          const want = expected.observations as Record<string, { available: number; capacity?: number }>;
          for (const [signal, o] of Object.entries(want)) {
            const g = got[signal as EvictionSignal];
            expect(g?.available, signal).toBe(o.available);
            if (o.capacity !== undefined) expect(g?.capacity, signal).toBe(o.capacity);
          }
          return;
        }
        default:
          throw new Error(`unhandled kind ${c.kind}`);
      }
    });
  }
});
