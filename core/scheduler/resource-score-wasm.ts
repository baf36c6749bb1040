/** The WASM build of the resource scoring kernel, behind the same signature as its TypeScript twin. */
import { type KernelExports, lazyKernel } from "../wasm/loader.ts";
import { wasmBase64 } from "../wasm/scheduler-resource-score.gen.ts";
import type { ResourceScoreKernel } from "./resource-score-kernel.ts";

interface ScoreExports extends KernelExports {
  score(strategy: number, nodes: number, k: number, points: number, ptr: number): void;
}

const kernel = lazyKernel<ScoreExports>(wasmBase64);

export const scoreResourcesWasm: ResourceScoreKernel = (input, out) => {
  const { nodes, resources: k } = input;
  const points = input.shape.length >> 1;
  const doubles = 2 * nodes * k + 3 * k + 2 * points + nodes + k;
  const wasm = kernel();
  const ptr = wasm.scratch(doubles * 8);
  const mem = new Float64Array(wasm.memory.buffer, ptr, doubles);
  let o = 0;
  mem.set(input.alloc.subarray(0, nodes * k), o);
  o += nodes * k;
  mem.set(input.nodeRequested.subarray(0, nodes * k), o);
  o += nodes * k;
  mem.set(input.podRequest.subarray(0, k), o);
  o += k;
  mem.set(input.weights.subarray(0, k), o);
  o += k;
  mem.set(input.scalar.subarray(0, k), o);
  o += k;
  mem.set(input.shape.subarray(0, 2 * points), o);
  o += 2 * points;
  wasm.score(input.strategy, nodes, k, points, ptr);
  out.set(new Float64Array(wasm.memory.buffer, ptr + o * 8, nodes));
};
