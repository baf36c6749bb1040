import fc from "fast-check";
import { describe, expect, it } from "../../test/harness.ts";
import { KiteError } from "../errors/mod.ts";
import {
  type EvictionFlags,
  evictionConfigFromFlags,
  evictionConfigFromKubeletConfiguration,
  parseDuration,
  parsePercentage,
} from "./mod.ts";

function rejects(f: () => unknown, field: string, bad: string): void {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(KiteError);
  const k = err as KiteError;
  expect(k.code).toBe("invalid_argument");
  expect(k.field).toBe(field);
  expect(k.message).toContain(field);
  expect(k.message).toContain(bad);
}

describe("eviction config: bad strings are rejected naming the flag and the value", () => {
  const cases: [EvictionFlags, string, string][] = [
    [{ "eviction-hard": "memory.availabel<100Mi" }, "--eviction-hard", "memory.availabel"],
    [{ "eviction-hard": "memory.available<abc" }, "--eviction-hard", "abc"],
    [{ "eviction-hard": "nodefs.available<150%" }, "--eviction-hard", "150%"],
    [{ "eviction-hard": "memory.available<-1Gi" }, "--eviction-hard", "-1Gi"],
    [{ "eviction-hard": "memory.available" }, "--eviction-hard", "memory.available"],
    [
      { "eviction-soft": "memory.available<1Gi", "eviction-soft-grace-period": "memory.available=-30s" },
      "--eviction-soft-grace-period",
      "-30s",
    ],
    [
      { "eviction-soft": "memory.available<1Gi", "eviction-soft-grace-period": "memory.available=soon" },
      "--eviction-soft-grace-period",
      "soon",
    ],
    [{ "eviction-soft": "memory.available<1Gi" }, "--eviction-soft-grace-period", "memory.available<1Gi"],
    [{ "eviction-minimum-reclaim": "nodefs.available=-5%" }, "--eviction-minimum-reclaim", "-5%"],
    [{ "eviction-minimum-reclaim": "bogus=1Gi" }, "--eviction-minimum-reclaim", "bogus"],
    [{ "eviction-pressure-transition-period": "-1m" }, "--eviction-pressure-transition-period", "-1m"],
    [{ "eviction-max-pod-grace-period": "-5" }, "--eviction-max-pod-grace-period", "-5"],
    [{ "eviction-max-pod-grace-period": "ten" }, "--eviction-max-pod-grace-period", "ten"],
  ];
  for (const [flags, field, bad] of cases) {
    it(`${JSON.stringify(flags)} → ${field}`, () =>
      rejects(() => evictionConfigFromFlags(flags), field, bad));
  }
  it("config-file fields are named by their KubeletConfiguration keys", () => {
    rejects(
      () => evictionConfigFromKubeletConfiguration({ evictionHard: { "memory.available": "abc" } }),
      "evictionHard",
      "abc",
    );
    rejects(
      () => evictionConfigFromKubeletConfiguration({ evictionHard: { "pids.available": "10" } }),
      "evictionHard",
      "pids.available",
    );
    rejects(
      () => evictionConfigFromKubeletConfiguration({ evictionPressureTransitionPeriod: "-5s" }),
      "evictionPressureTransitionPeriod",
      "-5s",
    );
  });
});

describe("eviction config defaults", () => {
  it("uses the upstream Linux defaults, mirrored to allocatableMemory.available", () => {
    const cfg = evictionConfigFromKubeletConfiguration({});
    const got = cfg.thresholds
      .map((t) => `${t.signal}<${t.value.quantity ?? `${t.value.percentage}`}`)
      .sort();
    expect(got).toEqual(
      [
        "allocatableMemory.available<104857600",
        "imagefs.available<0.15000000596046448",
        "memory.available<104857600",
        "nodefs.available<0.10000000149011612",
        "nodefs.inodesFree<0.05000000074505806",
      ].sort(),
    );
    expect(cfg.pressureTransitionPeriodMs).toBe(300_000);
    expect(cfg.maxPodGracePeriodSeconds).toBe(0);
  });
  it("a given --eviction-hard replaces the defaults; merge keeps them", () => {
    const only = evictionConfigFromFlags({
      "eviction-hard": "memory.available<1Gi",
      "enforce-node-allocatable": "",
    });
    expect(only.thresholds.map((t) => t.signal)).toEqual(["memory.available"]);
    const merged = evictionConfigFromKubeletConfiguration({
      evictionHard: { "memory.available": "1Gi" },
      mergeDefaultEvictionSettings: true,
      enforceNodeAllocatable: [],
    });
    expect(merged.thresholds.map((t) => t.signal).sort()).toEqual(
      ["imagefs.available", "memory.available", "nodefs.available", "nodefs.inodesFree"].sort(),
    );
    expect(merged.thresholds.find((t) => t.signal === "memory.available")?.value.quantity).toBe(1024 ** 3);
  });
  it("parses soft thresholds, grace periods, min-reclaim and the periods", () => {
    const cfg = evictionConfigFromFlags({
      "eviction-hard": "",
      "eviction-soft": "memory.available<1.5Gi, nodefs.inodesFree<10%",
      "eviction-soft-grace-period": "memory.available=1m30s,nodefs.inodesFree=2m",
      "eviction-minimum-reclaim": "memory.available=500Mi",
      "eviction-pressure-transition-period": "30s",
      "eviction-max-pod-grace-period": "60",
    });
    expect(cfg.thresholds).toEqual([
      {
        signal: "memory.available",
        operator: "LessThan",
        value: { quantity: 1.5 * 1024 ** 3 },
        gracePeriodMs: 90_000,
        minReclaim: { quantity: 500 * 1024 ** 2 },
      },
      {
        signal: "nodefs.inodesFree",
        operator: "LessThan",
        value: { percentage: Math.fround(0.1) },
        gracePeriodMs: 120_000,
      },
    ]);
    expect(cfg.pressureTransitionPeriodMs).toBe(30_000);
    expect(cfg.maxPodGracePeriodSeconds).toBe(60);
  });
  it("0% and 100% disable a threshold", () => {
    const cfg = evictionConfigFromFlags({ "eviction-hard": "memory.available<0%,nodefs.available<100%" });
    expect(cfg.thresholds).toEqual([]);
  });
});

describe("eviction parsers never fail with anything but a KiteError", () => {
  const flagNames: (keyof EvictionFlags)[] = [
    "eviction-hard",
    "eviction-soft",
    "eviction-soft-grace-period",
    "eviction-minimum-reclaim",
    "eviction-pressure-transition-period",
    "eviction-max-pod-grace-period",
  ];
  const piece = fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.constantFrom("memory.available", "nodefs.available", "imagefs.inodesFree", "pid.available"),
    fc.constantFrom("<", "=", ",", "%", "Mi", "-", "1", "0.5", "30s", "1e3"),
  );
  it("random flag values", () => {
    fc.assert(
      fc.property(fc.constantFrom(...flagNames), fc.array(piece, { maxLength: 8 }), (flag, parts) => {
        const value = parts.join("");
        try {
          const cfg = evictionConfigFromFlags({ [flag]: value });
          for (const t of cfg.thresholds) {
            if (t.value.percentage !== undefined) {
              expect(t.value.percentage).toBeGreaterThan(0);
              expect(t.value.percentage).toBeLessThan(1);
            } else {
              expect(t.value.quantity).toBeGreaterThan(0);
            }
            expect(t.gracePeriodMs).toBeGreaterThanOrEqual(0);
          }
        } catch (e) {
          expect(e).toBeInstanceOf(KiteError);
          expect((e as KiteError).field).toMatch(/^--eviction-|^eviction/);
        }
      }),
      { numRuns: 1000, seed: 11 },
    );
  });
  it("parsePercentage and parseDuration", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 10 }), (s) => {
        for (const f of [() => parsePercentage(s), () => parseDuration(s)]) {
          try {
            expect(Number.isFinite(f())).toBe(true);
          } catch (e) {
            expect(e).toBeInstanceOf(KiteError);
          }
        }
      }),
      { numRuns: 500, seed: 3 },
    );
  });
});
