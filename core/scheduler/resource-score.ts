/**
 * Picks the resource scoring kernel the core uses. bench/scheduler.bench.ts
 * measures both; the faster one on this workload is the default here.
 */
import { type ResourceScoreKernel, scoreResourcesTS } from "./resource-score-kernel.ts";
import { scoreResourcesWasm } from "./resource-score-wasm.ts";

export type KernelChoice = "ts" | "wasm";

// bench/scheduler.bench.ts: the WASM kernel gave the lower core p50 at 1000, 5000 and 15000 nodes.
let current: KernelChoice = typeof WebAssembly === "object" ? "wasm" : "ts";

export function setResourceScoreKernel(choice: KernelChoice): void {
  current = choice;
}

export function resourceScoreKernelName(): KernelChoice {
  return current;
}

export function resourceScoreKernel(): ResourceScoreKernel {
  return current === "wasm" ? scoreResourcesWasm : scoreResourcesTS;
}
