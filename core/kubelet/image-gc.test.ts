import fc from "fast-check";
import { loadFixture } from "../../test/fixtures.ts";
import { describe, expect, it } from "../../test/harness.ts";
import { KiteError } from "../errors/mod.ts";
import type { FixtureFileData } from "./fixture-pods.test-util.ts";
import {
  goZeroTime,
  ImageGCManager,
  type ImageGCRuntime,
  type ImageRecord,
  parseDuration,
  type RuntimeImage,
  validateImageGCPolicy,
} from "./mod.ts";

const fixture = await loadFixture<FixtureFileData>("kubelet/imagegc.json");

/** A fake CRI image service with a controllable clock. */
class FakeRuntime implements ImageGCRuntime {
  images: RuntimeImage[] = [];
  containers: { id: string; imageId: string }[] = [];
  removed: string[] = [];
  fsStats: { capacityBytes?: number; availableBytes?: number } | Error = new Error("no stats");
  listImages() {
    return this.images.map((i) => ({ ...i }));
  }
  listContainerImageIds() {
    return this.containers.map((c) => c.imageId);
  }
  removeImage(id: string) {
    this.images = this.images.filter((i) => i.id !== id);
    this.removed.push(id);
  }
  imageFsStats() {
    if (this.fsStats instanceof Error) throw this.fsStats;
    return this.fsStats;
  }
}

const T0 = 1_000_000;

type Step = Record<string, unknown> & { op: string };

describe("kubelet fixtures: imagegc.json", () => {
  it("has cases", () => expect(fixture.cases.length).toBeGreaterThan(0));
  for (const c of fixture.cases) {
    it(c.id, async () => {
      const input = c.input as {
        policy: {
          highThresholdPercent: number;
          lowThresholdPercent: number;
          minAge?: string;
          maxAge?: string;
        };
        script?: Step[];
      };
      const policy = {
        highThresholdPercent: input.policy.highThresholdPercent,
        lowThresholdPercent: input.policy.lowThresholdPercent,
        minAgeMs: parseDuration(input.policy.minAge ?? "0s"),
        maxAgeMs: parseDuration(input.policy.maxAge ?? "0s"),
      };
      if (c.kind === "imagegc.validatePolicy") {
        const want = (c.expected as { error: string | null }).error;
        let got: string | null = null;
        try {
          validateImageGCPolicy(policy);
        } catch (e) {
          expect(e).toBeInstanceOf(KiteError);
          got = (e as KiteError).rawMessage;
        }
        expect(got).toBe(want);
        return;
      }
      expect(c.kind).toBe("imagegc.scenario");
      let clock = T0;
      const rt = new FakeRuntime();
      const m = new ImageGCManager(policy, rt, () => clock);
      const symbols = new Map<string, number>();
      const time = (sym: unknown): number => {
        const s = String(sym);
        if (s === "max-time") return Number.MAX_SAFE_INTEGER;
        const m0 = /^(zero|now|T\d+)((?:\+[0-9.]+[a-zµ]+)*)$/.exec(s);
        if (!m0) throw new Error(`time symbol ${s}`);
        const named = symbols.get(m0[1]!);
        let t = m0[1] === "zero" ? goZeroTime : m0[1] === "T0" ? T0 : m0[1] === "now" ? clock : named;
        if (t === undefined) throw new Error(`unbound time symbol ${m0[1]}`);
        for (const part of m0[2]!.split("+").filter(Boolean)) t += parseDuration(part);
        return t;
      };
      let candidates: ImageRecord[] = [];
      let lastError: string | undefined;
      let spaceFreed = 0;
      for (const step of input.script ?? []) {
        switch (step.op) {
          case "setImages":
            rt.images = (step.images as RuntimeImage[]).map((i) => ({ ...i }));
            break;
          case "setRunningContainers":
            rt.containers = step.containers as { id: string; imageId: string }[];
            break;
          case "detectImages":
            await m.detectImages(time(step.detectTime));
            break;
          case "start":
            await m.detectImages(clock);
            break;
          case "advanceClock":
            clock += parseDuration(step.by as string);
            break;
          case "freeSpace": {
            const freeTime = time(step.freeTime);
            const r = await m.freeSpace(
              step.bytesToFree as number,
              freeTime,
              await m.imagesInEvictionOrder(freeTime),
            );
            spaceFreed = r.spaceFreed;
            lastError = r.errors.length ? r.errors.join() : undefined;
            break;
          }
          case "deleteUnusedImages": {
            const r = await m.deleteUnusedImages();
            spaceFreed = r.spaceFreed;
            lastError = r.errors.length ? r.errors.join() : undefined;
            break;
          }
          case "garbageCollect": {
            const stats = step.imageFsStats as {
              error?: string;
              capacityBytes?: number;
              availableBytes?: number;
            };
            rt.fsStats = stats.error ? new Error(stats.error) : stats;
            const r = await m.garbageCollect(T0);
            spaceFreed = r.spaceFreed;
            lastError = r.error;
            break;
          }
          case "imagesInEvictionOrder":
            candidates = await m.imagesInEvictionOrder(time(step.freeTime));
            break;
          case "setCandidateLastUsed": {
            const cand = candidates.find((x) => x.id === step.image);
            if (!cand) throw new Error(`no candidate ${String(step.image)}`);
            cand.lastUsed = time(step.lastUsed);
            break;
          }
          case "freeOldImages": {
            const r = await m.freeOldImages(candidates, time(step.freeTime), time(step.beganGC));
            candidates = r.remaining;
            lastError = r.errors.length ? r.errors.join() : undefined;
            break;
          }
          case "expect": {
            if (typeof step.remember === "string") symbols.set(step.remember, clock);
            if (step.recordCount !== undefined) expect(m.records().length).toBe(step.recordCount);
            if (step.records) {
              for (const [id, want] of Object.entries(
                step.records as Record<string, Record<string, string>>,
              )) {
                const rec = m.records().find((r) => r.id === id);
                expect(rec, id).toBeDefined();
                expect(rec!.firstDetected).toBe(time(want.firstDetected));
                expect(rec!.lastUsed).toBe(time(want.lastUsed));
              }
            }
            if (step.spaceFreed !== undefined) expect(spaceFreed).toBe(step.spaceFreed);
            if (step.remainingImageCount !== undefined)
              expect(rt.images.length).toBe(step.remainingImageCount);
            if (step.removed !== undefined)
              expect([...rt.removed].sort()).toEqual([...(step.removed as string[])].sort());
            if (step.error !== undefined) expect(lastError !== undefined).toBe(step.error);
            if (step.candidates !== undefined) expect(candidates.map((x) => x.id)).toEqual(step.candidates);
            if (step.remainingCandidates !== undefined)
              expect(candidates.length).toBe(step.remainingCandidates);
            break;
          }
          default:
            throw new Error(`unknown op ${step.op}`);
        }
      }
    });
  }
});

describe("image GC properties", () => {
  const imageArb = fc.record({
    size: fc.integer({ min: 1, max: 500 }),
    pinned: fc.boolean(),
    inUse: fc.boolean(),
    ageS: fc.integer({ min: 0, max: 600 }),
    lastUsedAgoS: fc.option(fc.integer({ min: 1, max: 600 }), { nil: undefined }),
  });
  it("never frees an image in use or pinned, and reaches the low threshold whenever enough is eligible", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(imageArb, { maxLength: 25 }),
        fc.integer({ min: 50, max: 100 }),
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 300 }),
        async (specs, high, lowRaw, otherUsed, minAgeS) => {
          const low = Math.min(lowRaw, high);
          const now = 10_000_000;
          let clock = now;
          const rt = new FakeRuntime();
          const used = specs.reduce((s, x) => s + x.size, 0) + otherUsed;
          const capacity = used + 1000;
          const all = specs.map((s, i) => ({ id: `img-${i}`, size: s.size, pinned: s.pinned }));
          const m = new ImageGCManager(
            { highThresholdPercent: high, lowThresholdPercent: low, minAgeMs: minAgeS * 1000, maxAgeMs: 0 },
            rt,
            () => clock,
          );
          // history: each image appears (is pulled) at its age and is used at its last-use time
          const events = specs
            .flatMap((s, i) => [
              { t: now - s.ageS * 1000, used: [] as number[] },
              ...(s.lastUsedAgoS !== undefined && s.lastUsedAgoS <= s.ageS
                ? [{ t: now - s.lastUsedAgoS * 1000, used: [i] }]
                : []),
            ])
            .sort((a, b) => a.t - b.t);
          for (const e of events) {
            clock = e.t;
            rt.images = all.filter((_, i) => now - specs[i]!.ageS * 1000 <= e.t);
            rt.containers = e.used.map((i) => ({ id: `c${i}`, imageId: `img-${i}` }));
            await m.detectImages(e.t);
          }
          rt.images = all;
          clock = now;
          rt.containers = specs.flatMap((s, i) => (s.inUse ? [{ id: `c${i}`, imageId: `img-${i}` }] : []));
          rt.fsStats = { capacityBytes: capacity, availableBytes: capacity - used };
          const records = new Map(m.records().map((r) => [r.id, r]));
          const r = await m.garbageCollect(0);
          for (const id of r.removed) {
            const i = Number(id.slice(4));
            expect(specs[i]!.inUse).toBe(false);
            expect(specs[i]!.pinned).toBe(false);
          }
          const eligible = specs.reduce((sum, s, i) => {
            const rec = records.get(`img-${i}`)!;
            const ok =
              !s.inUse && !s.pinned && now - rec.firstDetected >= minAgeS * 1000 && rec.lastUsed < now;
            return sum + (ok ? s.size : 0);
          }, 0);
          if (r.amountToFree > 0 && eligible >= r.amountToFree) {
            expect(r.spaceFreed).toBeGreaterThanOrEqual(r.amountToFree);
            expect(r.error).toBeUndefined();
            const availableAfter = capacity - used + r.spaceFreed;
            expect(100 - Math.trunc((availableAfter * 100) / capacity)).toBeLessThanOrEqual(low);
          }
          if (r.amountToFree > 0 && eligible < r.amountToFree)
            expect(r.event?.reason).toBe("FreeDiskSpaceFailed");
        },
      ),
      { numRuns: 300, seed: 9 },
    );
  });
});
