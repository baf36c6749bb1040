import { wasmBase64 } from "../wasm/eviction-rank.gen.ts";
import { type KernelExports, lazyKernel } from "../wasm/loader.ts";
import type { RankKeys } from "./rank-keys.ts";

interface EvictionRankKernel extends KernelExports {
  rank(keys: number, n: number, k: number, out: number, tmp: number): void;
}

const kernel = lazyKernel<EvictionRankKernel>(wasmBase64);

/** Indices of the pods in eviction order (the WebAssembly kernel, assembly/eviction-rank.ts). */
export function rankByKeysWasm({ keys, n, k }: RankKeys): Int32Array {
  const kern = kernel();
  const keyBytes = n * k * 8;
  const base = kern.scratch(keyBytes + n * 8);
  const mem = kern.memory.buffer;
  new Float64Array(mem, base, n * k).set(keys.subarray(0, n * k));
  const out = base + keyBytes;
  kern.rank(base, n, k, out, out + n * 4);
  return new Int32Array(kern.memory.buffer, out, n).slice();
}
