import type { Pod } from "../api/mod.ts";
import { rankByKeysWasm } from "./eviction-rank-wasm.ts";
import { type RankKeys, rankByKeysTs } from "./rank-keys.ts";

export type RankKernel = "ts" | "wasm";

/**
 * Which kernel ranks: the faster one by the eviction benchmark (bench/eviction.bench.ts). WebAssembly wins at
 * every size measured (4 to 10 000 pods), so it ranks from `crossover` = 0 pods up; the TypeScript twin is the
 * fallback where WebAssembly cannot be instantiated.
 */
let crossover = 0;
let forced: RankKernel | undefined;
let wasmBroken = false;

/** Forces one kernel (tests, benchmarks); undefined restores the automatic choice. */
export function setRankKernel(kernel: RankKernel | undefined, wasmFromPods?: number): void {
  forced = kernel;
  if (wasmFromPods !== undefined) crossover = wasmFromPods;
}

/** The kernel that ranks `n` pods. */
export function rankKernelFor(n: number): RankKernel {
  if (forced) return forced;
  return !wasmBroken && n >= crossover ? "wasm" : "ts";
}

/** Pod indices in eviction order for prepared keys, by the chosen kernel. */
export function rankByKeys(keys: RankKeys): Int32Array {
  if (rankKernelFor(keys.n) === "wasm") {
    try {
      return rankByKeysWasm(keys);
    } catch (e) {
      if (forced === "wasm") throw e;
      wasmBroken = true;
    }
  }
  return rankByKeysTs(keys);
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
