/** Shared measuring tools for the benchmarks in bench/. */
import { cpus, totalmem } from "node:os";

export interface Stats {
  samples: number;
  p50: number;
  p99: number;
  mean: number;
  min: number;
  max: number;
  unit: "ms" | "us" | "s";
}

/** Percentile p (0..100) of sorted values, by nearest rank. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

/** Summarises durations in milliseconds, reported in `unit`. */
export function summarize(durationsMs: readonly number[], unit: Stats["unit"] = "ms"): Stats {
  const scale = unit === "us" ? 1000 : unit === "s" ? 0.001 : 1;
  const sorted = durationsMs.map((d) => d * scale).sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 1000) / 1000;
  return {
    samples: sorted.length,
    p50: round(percentile(sorted, 50)),
    p99: round(percentile(sorted, 99)),
    mean: round(sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length)),
    min: round(sorted[0] ?? Number.NaN),
    max: round(sorted[sorted.length - 1] ?? Number.NaN),
    unit,
  };
}

/** Times `fn` (after `warmup` untimed runs) `iterations` times; durations in ms. */
export async function measure(
  fn: () => unknown | Promise<unknown>,
  options: { iterations: number; warmup?: number; unit?: Stats["unit"] },
): Promise<Stats> {
  for (let i = 0; i < (options.warmup ?? Math.min(10, options.iterations)); i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < options.iterations; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return summarize(times, options.unit);
}

/** Synchronous variant of measure, for tight loops where await would dominate. */
export function measureSync(
  fn: () => unknown,
  options: { iterations: number; warmup?: number; unit?: Stats["unit"] },
): Stats {
  for (let i = 0; i < (options.warmup ?? Math.min(10, options.iterations)); i++) fn();
  const times: number[] = [];
  for (let i = 0; i < options.iterations; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  return summarize(times, options.unit);
}

export function machineInfo() {
  const cpu = cpus();
  return {
    cpuModel: cpu[0]?.model ?? "unknown",
    cores: cpu.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}

/** What one benchmark file exports. */
export interface Benchmark {
  name: string;
  description: string;
  /** Runs the benchmark, printing progress through `log`, and returns its results. */
  run(log: (line: string) => void): Promise<Record<string, unknown>>;
}
