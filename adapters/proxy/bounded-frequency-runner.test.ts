import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createBoundedFrequencyRunner } from "./bounded-frequency-runner.ts";

describe("bounded-frequency runner", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("runs at start, coalesces requests within minInterval and runs every maxInterval", async () => {
    let runs = 0;
    const r = createBoundedFrequencyRunner(
      async () => {
        runs++;
      },
      { minIntervalMs: 1000, maxIntervalMs: 30_000, burst: 1, now: () => Date.now() },
    );
    r.start();
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toBe(1);
    for (let i = 0; i < 10; i++) r.run();
    await vi.advanceTimersByTimeAsync(500);
    expect(runs).toBe(1);
    await vi.advanceTimersByTimeAsync(600);
    expect(runs).toBe(2);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(runs).toBe(3);
    await r.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(runs).toBe(3);
  });

  it("allows a burst, never overlaps, and re-runs a request made during a run", async () => {
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    const r = createBoundedFrequencyRunner(
      async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        runs++;
        await new Promise((res) => setTimeout(res, 100));
        active--;
      },
      { minIntervalMs: 1000, maxIntervalMs: 60_000, burst: 2, now: () => Date.now() },
    );
    r.start();
    await vi.advanceTimersByTimeAsync(10);
    r.run(); // during the first run
    await vi.advanceTimersByTimeAsync(150);
    expect(runs).toBe(2); // burst token used right after
    r.run();
    await vi.advanceTimersByTimeAsync(300);
    expect(runs).toBe(2); // out of tokens
    await vi.advanceTimersByTimeAsync(1000);
    expect(runs).toBe(3);
    expect(maxActive).toBe(1);
    const idle = r.idle();
    await vi.advanceTimersByTimeAsync(200);
    await idle;
    await r.stop();
  });
});
