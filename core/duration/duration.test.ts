import fc from "fast-check";
import { describe, expect, it } from "../../test/harness.ts";
import { KiteError } from "../errors/mod.ts";
import { formatDuration, parseDuration } from "./mod.ts";

describe("Go durations", () => {
  it("reads what time.ParseDuration reads", () => {
    expect(parseDuration("1m0s")).toBe(60_000);
    expect(parseDuration("1m30s")).toBe(90_000);
    expect(parseDuration("1.5h")).toBe(5_400_000);
    expect(parseDuration("250ms")).toBe(250);
    expect(parseDuration("10ns")).toBeCloseTo(1e-5);
    expect(parseDuration("-5s")).toBe(-5000);
    expect(parseDuration("0")).toBe(0);
    expect(parseDuration(".5s")).toBe(500);
  });

  it("refuses what Go refuses, naming the field and the value", () => {
    for (const bad of ["", "5", "1d", "s", "1m 5s", "--1s", "1.2.3s"]) {
      let caught: unknown;
      try {
        parseDuration(bad, "--sync-period");
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(KiteError);
      expect((caught as KiteError).field).toBe("--sync-period");
      expect((caught as KiteError).message).toContain(JSON.stringify(bad));
    }
  });

  it("prints as Go prints, and reads back what it prints", () => {
    expect(formatDuration(300_000)).toBe("5m0s");
    expect(formatDuration(3_600_000)).toBe("1h0m0s");
    expect(formatDuration(500)).toBe("500ms");
    fc.assert(
      fc.property(fc.integer({ min: -1_000_000_000, max: 1_000_000_000 }), (ms) => {
        expect(parseDuration(formatDuration(ms))).toBe(ms);
      }),
    );
  });

  it("never throws anything but a KiteError", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 16 }), (s) => {
        try {
          expect(Number.isFinite(parseDuration(s))).toBe(true);
        } catch (e) {
          expect(e).toBeInstanceOf(KiteError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
