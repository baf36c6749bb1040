/**
 * The per-node resource scoring kernel (TypeScript twin of
 * assembly/scheduler-resource-score.ts): NodeResourcesFit's LeastAllocated,
 * MostAllocated and RequestedToCapacityRatio, and BalancedAllocation, over N
 * nodes at once. Inputs are flat typed arrays; integer steps follow int64
 * semantics exactly (BigInt beyond 2^53), float steps use the same IEEE
 * operations in the same order as the WASM build, so both give identical scores.
 */
export const strategyLeastAllocated = 0;
export const strategyMostAllocated = 1;
export const strategyRequestedToCapacityRatio = 2;
export const strategyBalancedAllocation = 3;

export interface ResourceScoreInput {
  strategy: number;
  nodes: number;
  resources: number;
  /** nodes × resources, node-major: allocatable (cpu in millicores). */
  alloc: Float64Array;
  /** nodes × resources: what the pods already on the node request. */
  nodeRequested: Float64Array;
  /** resources: what the incoming pod requests. */
  podRequest: Float64Array;
  /** resources: integer weights. */
  weights: Float64Array;
  /** resources: 1 for scalar resources, skipped when the pod requests 0 of them. */
  scalar: Float64Array;
  /** RequestedToCapacityRatio shape, [u0, s0, u1, s1, ...], scores already scaled to 0..100. */
  shape: Float64Array;
}

export type ResourceScoreKernel = (input: ResourceScoreInput, out: Float64Array) => void;

const safe = Number.MAX_SAFE_INTEGER;

/** a * b / c in int64 semantics (all non-negative integers, c > 0). */
function mulDiv(a: number, b: number, c: number): number {
  const p = a * b;
  if (p <= safe) return Math.floor(p / c);
  return Number((BigInt(a) * BigInt(b)) / BigInt(c));
}

function addInt(a: number, b: number): number {
  const s = a + b;
  if (s <= safe && s >= -safe) return s;
  return Number(BigInt(a) + BigInt(b));
}

function brokenLinear(shape: Float64Array, p: number): number {
  const points = shape.length >> 1;
  for (let i = 0; i < points; i++) {
    const u = shape[2 * i]!;
    if (p <= u) {
      if (i === 0) return shape[1]!;
      const pu = shape[2 * i - 2]!;
      const ps = shape[2 * i - 1]!;
      return ps + Math.trunc(((shape[2 * i + 1]! - ps) * (p - pu)) / (u - pu));
    }
  }
  return points > 0 ? shape[2 * points - 1]! : 0;
}

/** Go's math.Round for non-negative x (half away from zero), written the same way in the WASM twin. */
function roundHalfUp(x: number): number {
  const t = Math.trunc(x);
  return x - t >= 0.5 ? t + 1 : t;
}

export const scoreResourcesTS: ResourceScoreKernel = (input, out) => {
  const { strategy, nodes, resources: k, alloc, nodeRequested, podRequest, weights, scalar, shape } = input;
  const fractions = new Float64Array(k);
  for (let n = 0; n < nodes; n++) {
    const base = n * k;
    let nodeScore = 0;
    let weightSum = 0;
    let count = 0;
    let total = 0;
    for (let j = 0; j < k; j++) {
      const pod = podRequest[j]!;
      if (pod === 0 && scalar[j] === 1) continue;
      const a = alloc[base + j]!;
      if (a === 0) continue;
      const r = addInt(nodeRequested[base + j]!, pod);
      const w = weights[j]!;
      if (strategy === strategyLeastAllocated) {
        nodeScore += (r > a ? 0 : mulDiv(a - r, 100, a)) * w;
        weightSum += w;
      } else if (strategy === strategyMostAllocated) {
        nodeScore += mulDiv(Math.min(r, a), 100, a) * w;
        weightSum += w;
      } else if (strategy === strategyRequestedToCapacityRatio) {
        const s = brokenLinear(shape, r > a ? 100 : mulDiv(r, 100, a));
        if (s > 0) {
          nodeScore += s * w;
          weightSum += w;
        }
      } else {
        let f = r / a;
        if (f > 1) f = 1;
        total += f;
        fractions[count++] = f;
      }
    }
    if (strategy === strategyBalancedAllocation) {
      let std = 0;
      if (count === 2) {
        std = Math.abs((fractions[0]! - fractions[1]!) / 2);
      } else if (count > 2) {
        const mean = total / count;
        let sum = 0;
        for (let j = 0; j < count; j++) {
          const d = fractions[j]! - mean;
          sum = sum + d * d;
        }
        std = Math.sqrt(sum / count);
      }
      out[n] = Math.trunc((1 - std) * 100);
    } else if (weightSum === 0) {
      out[n] = 0;
    } else if (strategy === strategyRequestedToCapacityRatio) {
      out[n] = roundHalfUp(nodeScore / weightSum);
    } else {
      out[n] = Math.floor(nodeScore / weightSum);
    }
  }
};
