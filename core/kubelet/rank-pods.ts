import type { Pod } from "../api/mod.ts";
import { rankByKeysWasm } from "./eviction-rank-wasm.ts";
import { type RankKeys, rankByKeysTs } from "./rank-keys.ts";

export type RankKernel = "ts" | "wasm";

/**
 * Which kernel ranks: the faster one by the eviction benchmark (bench/eviction.bench.ts). Below the crossover
 * the call overhead of WebAssembly dominates and TypeScript wins; above it WebAssembly wins.
 */
let crossover = 256;
let forced: RankKernel | undefined;

/** Forces one kernel (tests, benchmarks); undefined restores the automatic choice. */
export function setRankKernel(kernel: RankKernel | undefined, wasmFromPods?: number): void {
  forced = kernel;
  if (wasmFromPods !== undefined) crossover = wasmFromPods;
}

/** The kernel that ranks `n` pods. */
export function rankKernelFor(n: number): RankKernel {
  return forced ?? (n >= crossover ? "wasm" : "ts");
}

/** Pod indices in eviction order for prepared keys, by the chosen kernel. */
export function rankByKeys(keys: RankKeys): Int32Array {
  return rankKernelFor(keys.n) === "wasm" ? rankByKeysWasm(keys) : rankByKeysTs(keys);
}

/** Builds keys with `fill(pod, row)` (writing k values at row) and returns the pods in eviction order. */
export function rankPods(
  pods: readonly Pod[],
  k: number,
  fill: (pod: Pod, row: Float64Array, at: number) => void,
): Pod[] {
  const n = pods.length;
  const keys = new Float64Array(n * k);
  for (let i = 0; i < n; i++) fill(pods[i]!, keys, i * k);
  const order = rankByKeys({ keys, n, k });
  const out = new Array<Pod>(n);
  for (let i = 0; i < n; i++) out[i] = pods[order[i]!]!;
  return out;
}
