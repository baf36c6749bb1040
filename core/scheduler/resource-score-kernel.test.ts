import fc from "fast-check";
import { describe, expect, it } from "../../test/harness.ts";
import {
  type ResourceScoreInput,
  scoreResourcesTS,
  scoreResourcesWasm,
  strategyBalancedAllocation,
  strategyLeastAllocated,
  strategyMostAllocated,
  strategyRequestedToCapacityRatio,
} from "./mod.ts";

/** Integers from small counts up to 2^53 (the range the scheduler's numbers live in). */
const amount = fc.oneof(
  fc.integer({ min: 0, max: 64 }),
  fc.integer({ min: 0, max: 1_000_000 }),
  fc.integer({ min: 0, max: 2 ** 40 }),
  fc.maxSafeInteger().map((n) => Math.abs(n)),
);

const shape = fc
  .uniqueArray(fc.integer({ min: 0, max: 100 }), { minLength: 1, maxLength: 5 })
  .chain((us) =>
    fc.tuple(
      fc.constant([...us].sort((a, b) => a - b)),
      fc.array(fc.integer({ min: 0, max: 10 }), { minLength: us.length, maxLength: us.length }),
    ),
  )
  .map(([us, ss]) => Float64Array.from(us.flatMap((u, i) => [u, ss[i]! * 10])));

const input: fc.Arbitrary<ResourceScoreInput> = fc
  .record({
    strategy: fc.constantFrom(
      strategyLeastAllocated,
      strategyMostAllocated,
      strategyRequestedToCapacityRatio,
      strategyBalancedAllocation,
    ),
    nodes: fc.integer({ min: 1, max: 20 }),
    resources: fc.integer({ min: 1, max: 4 }),
    shape,
  })
  .chain((r) =>
    fc.record({
      strategy: fc.constant(r.strategy),
      nodes: fc.constant(r.nodes),
      resources: fc.constant(r.resources),
      alloc: fc.array(amount, { minLength: r.nodes * r.resources, maxLength: r.nodes * r.resources }),
      nodeRequested: fc.array(amount, { minLength: r.nodes * r.resources, maxLength: r.nodes * r.resources }),
      podRequest: fc.array(amount, { minLength: r.resources, maxLength: r.resources }),
      weights: fc.array(fc.integer({ min: 1, max: 100 }), { minLength: r.resources, maxLength: r.resources }),
      scalar: fc.array(fc.constantFrom(0, 1), { minLength: r.resources, maxLength: r.resources }),
      shape: fc.constant(r.shape),
    }),
  )
  .map((r) => ({
    strategy: r.strategy,
    nodes: r.nodes,
    resources: r.resources,
    alloc: Float64Array.from(r.alloc),
    nodeRequested: Float64Array.from(r.nodeRequested),
    podRequest: Float64Array.from(r.podRequest),
    weights: Float64Array.from(r.weights),
    scalar: Float64Array.from(r.scalar),
    shape: r.shape,
  }));

function run(kernel: typeof scoreResourcesTS, i: ResourceScoreInput): number[] {
  const out = new Float64Array(i.nodes);
  kernel(i, out);
  return [...out];
}

describe("resource scoring kernel: TypeScript and WASM twins", () => {
  it("give identical scores on random inputs", () => {
    fc.assert(
      fc.property(input, (i) => {
        expect(run(scoreResourcesWasm, i)).toEqual(run(scoreResourcesTS, i));
      }),
      { numRuns: 2000, seed: 3 },
    );
  });

  it("scores stay within 0..100", () => {
    fc.assert(
      fc.property(input, (i) => {
        for (const s of run(scoreResourcesTS, i)) {
          expect(Number.isInteger(s) && s >= 0 && s <= 100).toBe(true);
        }
      }),
      { numRuns: 500, seed: 5 },
    );
  });

  it("computes LeastAllocated exactly beyond 2^53 / 100", () => {
    const big = 2 ** 52;
    const i: ResourceScoreInput = {
      strategy: strategyLeastAllocated,
      nodes: 1,
      resources: 1,
      alloc: Float64Array.of(big + 2),
      nodeRequested: Float64Array.of(1),
      podRequest: Float64Array.of(0),
      weights: Float64Array.of(1),
      scalar: Float64Array.of(0),
      shape: new Float64Array(0),
    };
    // (2^52 + 1) * 100 / (2^52 + 2) = 99.99... → 99 in int64
    expect(run(scoreResourcesTS, i)).toEqual([99]);
    expect(run(scoreResourcesWasm, i)).toEqual([99]);
  });
});
