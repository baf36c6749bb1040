import fc from "fast-check";
import { describe, expect, it } from "../../test/harness.ts";
import type { Pod } from "../api/mod.ts";
import {
  disk,
  exceedDiskRequests,
  exceedMemoryRequests,
  memory,
  orderedBy,
  type PodStatsSummary,
  priority,
  process,
  rankByKeysTs,
  rankByKeysWasm,
  rankDiskPressureFunc,
  rankMemoryPressure,
  rankPIDPressure,
} from "./mod.ts";

const mi = 1024 * 1024;

const podArb = fc.record({
  priority: fc.option(fc.integer({ min: -3, max: 3 }), { nil: undefined }),
  memRequestMi: fc.option(fc.integer({ min: 0, max: 8 }), { nil: undefined }),
  diskRequestMi: fc.option(fc.integer({ min: 0, max: 8 }), { nil: undefined }),
  hasStats: fc.boolean(),
  workingSetMi: fc.integer({ min: 0, max: 10 }),
  rootfsMi: fc.integer({ min: 0, max: 5 }),
  logsMi: fc.integer({ min: 0, max: 5 }),
  volumeMi: fc.integer({ min: 0, max: 5 }),
  processes: fc.integer({ min: 0, max: 6 }),
});
type PodSpecArb = typeof podArb extends fc.Arbitrary<infer T> ? T : never;

function build(specs: PodSpecArb[]): { pods: Pod[]; stats: (p: Pod) => PodStatsSummary | undefined } {
  const byUid = new Map<string, PodStatsSummary>();
  const pods = specs.map((s, i): Pod => {
    const uid = `p${i}`;
    const requests: Record<string, string> = {};
    if (s.memRequestMi !== undefined) requests.memory = `${s.memRequestMi}Mi`;
    if (s.diskRequestMi !== undefined) requests["ephemeral-storage"] = `${s.diskRequestMi}Mi`;
    const pod: Pod = {
      metadata: { name: uid, uid },
      spec: {
        containers: [{ name: "c", resources: { requests } }],
        volumes: [{ name: "scratch", emptyDir: {} }],
      },
    };
    if (s.priority !== undefined) pod.spec.priority = s.priority;
    if (s.hasStats) {
      byUid.set(uid, {
        podRef: { name: uid, uid },
        memory: { workingSetBytes: s.workingSetMi * mi },
        containers: [
          {
            name: "c",
            rootfs: { usedBytes: s.rootfsMi * mi, inodesUsed: s.rootfsMi * 10 },
            logs: { usedBytes: s.logsMi * mi, inodesUsed: s.logsMi * 10 },
          },
        ],
        volume: [{ name: "scratch", usedBytes: s.volumeMi * mi, inodesUsed: s.volumeMi * 10 }],
        process_stats: { process_count: s.processes },
      });
    }
    return pod;
  });
  return { pods, stats: (p) => byUid.get(p.metadata.uid!) };
}

/** The order is consistent with the comparator: no later pod must come strictly before an earlier one. */
function consistent(order: Pod[], cmp: (a: Pod, b: Pod) => number): boolean {
  for (let i = 0; i < order.length; i++)
    for (let j = i + 1; j < order.length; j++) if (cmp(order[i]!, order[j]!) > 0) return false;
  return true;
}

const runs = { numRuns: 300, seed: 42 };

describe("eviction ranking properties", () => {
  it("rankMemoryPressure orders as orderedBy(exceedMemoryRequests, priority, memory)", () => {
    fc.assert(
      fc.property(fc.array(podArb, { maxLength: 40 }), (specs) => {
        const { pods, stats } = build(specs);
        const cmp = orderedBy(exceedMemoryRequests(stats), priority, memory(stats));
        const got = rankMemoryPressure(pods, stats);
        expect(consistent(got, cmp)).toBe(true);
        // and it is exactly the stable sort by that comparator (total order with input index as tie-break)
        expect(got.map((p) => p.metadata.uid)).toEqual([...pods].sort(cmp).map((p) => p.metadata.uid));
      }),
      runs,
    );
  });

  it("rankPIDPressure orders as orderedBy(priority, process)", () => {
    fc.assert(
      fc.property(fc.array(podArb, { maxLength: 40 }), (specs) => {
        const { pods, stats } = build(specs);
        const cmp = orderedBy(priority, process(stats));
        expect(rankPIDPressure(pods, stats).map((p) => p.metadata.uid)).toEqual(
          [...pods].sort(cmp).map((p) => p.metadata.uid),
        );
      }),
      runs,
    );
  });

  it("rankDiskPressureFunc orders as orderedBy(exceedDiskRequests, priority, disk) for bytes and inodes", () => {
    fc.assert(
      fc.property(
        fc.array(podArb, { maxLength: 40 }),
        fc.constantFrom("ephemeral-storage" as const, "inodes" as const),
        fc.constantFrom(
          ["root", "logs", "localVolumeSource"] as const,
          ["logs", "localVolumeSource"] as const,
          ["root"] as const,
        ),
        (specs, resource, fs) => {
          const { pods, stats } = build(specs);
          const cmp = orderedBy(exceedDiskRequests(stats, fs, resource), priority, disk(stats, fs, resource));
          expect(rankDiskPressureFunc(fs, resource)(pods, stats).map((p) => p.metadata.uid)).toEqual(
            [...pods].sort(cmp).map((p) => p.metadata.uid),
          );
        },
      ),
      runs,
    );
  });

  it("the ranking is a total order: a permutation, independent of input order", () => {
    fc.assert(
      fc.property(fc.array(podArb, { maxLength: 30 }), fc.integer(), (specs, seed) => {
        const { pods, stats } = build(specs);
        const got = rankMemoryPressure(pods, stats);
        expect(new Set(got.map((p) => p.metadata.uid)).size).toBe(pods.length);
        // shuffling the input only reorders pods the comparator considers equal
        const shuffled = [...pods].sort(
          (a, b) => ((a.metadata.uid!.length * seed) % 7) - ((b.metadata.uid!.length * seed) % 7),
        );
        const again = rankMemoryPressure(shuffled, stats);
        const cmp = orderedBy(exceedMemoryRequests(stats), priority, memory(stats));
        for (let i = 0; i < got.length; i++) expect(cmp(got[i]!, again[i]!)).toBe(0);
      }),
      runs,
    );
  });

  it("the WASM kernel and the TypeScript twin give the identical order on random keys", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.array(fc.integer({ min: -4, max: 4 }), { minLength: 5, maxLength: 5 }), {
          maxLength: 300,
        }),
        (k, rows) => {
          const n = rows.length;
          const keys = new Float64Array(n * k);
          rows.forEach((r, i) => {
            for (let j = 0; j < k; j++) keys[i * k + j] = r[j]! * 1e6;
          });
          const ts = rankByKeysTs({ keys, n, k });
          const wasm = rankByKeysWasm({ keys, n, k });
          expect(Array.from(wasm)).toEqual(Array.from(ts));
          for (let i = 1; i < n; i++) {
            const a = ts[i - 1]!;
            const b = ts[i]!;
            let c = 0;
            for (let j = 0; j < k && c === 0; j++) c = Math.sign(keys[a * k + j]! - keys[b * k + j]!);
            expect(c < 0 || (c === 0 && a < b)).toBe(true);
          }
        },
      ),
      { numRuns: 200, seed: 7 },
    );
  });
});
