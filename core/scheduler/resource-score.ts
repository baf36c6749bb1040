/**
 * Picks the resource scoring kernel the core uses. bench/scheduler.bench.ts
 * measures both; the faster one on this workload is the default here.
 */
import { type ResourceScoreKernel, scoreResourcesTS } from "./resource-score-kernel.ts";
import { scoreResourcesWasm } from "./resource-score-wasm.ts";

export type KernelChoice = "ts" | "wasm";

let current: KernelChoice = "ts";

export function setResourceScoreKernel(choice: KernelChoice): void {
  current = choice;
}

export function resourceScoreKernelName(): KernelChoice {
  return current;
}

export function resourceScoreKernel(): ResourceScoreKernel {
  return current === "wasm" ? scoreResourcesWasm : scoreResourcesTS;
}
