/**
 * noderesources.resourceAllocationScorer: builds the (allocatable, requested)
 * pairs per node and resource and runs the scoring kernel over all nodes of
 * the snapshot at once. Node-side matrices are cached per snapshot.
 */
import type { NodeInfo } from "./node-info.ts";
import type { CycleContext } from "./plugin.ts";
import {
  type Resource,
  resourceCPU,
  resourceEphemeralStorage,
  resourceGet,
  resourceMemory,
  resourcePods,
} from "./resource.ts";
import { resourceScoreKernel } from "./resource-score.ts";
import { Float64Scratch } from "./scratch.ts";
import type { Snapshot } from "./snapshot.ts";

export interface ResourceSpec {
  name: string;
  weight: number;
}

interface Matrix {
  alloc: Float64Array;
  requested: Float64Array;
}

const matrices = new WeakMap<Snapshot, Map<string, Matrix>>();

// Per-call buffers, reused (see scratch.ts): the gathered rows and the kernel's output.
const gatherAlloc = new Float64Scratch();
const gatherRequested = new Float64Scratch();
const kernelOut = new Float64Scratch();
const noShape = new Float64Array(0);

/** The weights and scalar flags of a resource list (the lists live as long as their profile). */
const constants = new WeakMap<readonly ResourceSpec[], { weights: Float64Array; scalar: Float64Array }>();

function resourceConstants(resources: readonly ResourceSpec[]): {
  weights: Float64Array;
  scalar: Float64Array;
} {
  let c = constants.get(resources);
  if (!c) {
    c = {
      weights: Float64Array.from(resources, (r) => r.weight),
      scalar: Float64Array.from(resources, (r) => (isScalar(r.name) ? 1 : 0)),
    };
    constants.set(resources, c);
  }
  return c;
}

function isScalar(name: string): boolean {
  return name !== resourceCPU && name !== resourceMemory && name !== resourceEphemeralStorage;
}

function nodeMatrix(snapshot: Snapshot, resources: readonly ResourceSpec[], useRequested: boolean): Matrix {
  let perSnapshot = matrices.get(snapshot);
  if (!perSnapshot) {
    perSnapshot = new Map();
    matrices.set(snapshot, perSnapshot);
  }
  const key = `${useRequested ? "r" : "n"}|${resources.map((r) => r.name).join(",")}`;
  const hit = perSnapshot.get(key);
  if (hit) return hit;
  const n = snapshot.nodeInfos.length;
  const k = resources.length;
  const alloc = new Float64Array(n * k);
  const requested = new Float64Array(n * k);
  snapshot.nodeInfos.forEach((ni, i) => {
    resources.forEach((r, j) => {
      if (r.name === resourcePods) return;
      alloc[i * k + j] = resourceGet(ni.allocatable, r.name);
      const nonZero = !useRequested && (r.name === resourceCPU || r.name === resourceMemory);
      requested[i * k + j] = resourceGet(nonZero ? ni.nonZeroRequested : ni.requested, r.name);
    });
  });
  const m = { alloc, requested };
  perSnapshot.set(key, m);
  return m;
}

/** The pod's request for each listed resource (cpu in millicores). */
export function podRequestList(pod: Resource, resources: readonly ResourceSpec[]): Float64Array {
  const out = new Float64Array(resources.length);
  resources.forEach((r, j) => {
    out[j] = r.name === resourcePods ? 0 : resourceGet(pod, r.name);
  });
  return out;
}

export function scoreByResources(
  ctx: CycleContext,
  nodes: readonly NodeInfo[],
  options: {
    strategy: number;
    resources: readonly ResourceSpec[];
    useRequested: boolean;
    podRequest: Resource;
    shape?: Float64Array;
  },
  into?: number[],
): number[] {
  const { resources } = options;
  const matrix = nodeMatrix(ctx.snapshot, resources, options.useRequested);
  const all = ctx.snapshot.nodeInfos.length;
  const k = resources.length;
  // Few candidates (an extender request naming a sample of the cluster): gather their rows only.
  const gather = nodes.length * 4 < all;
  let alloc = matrix.alloc;
  let requested = matrix.requested;
  if (gather) {
    alloc = gatherAlloc.get(nodes.length * k);
    requested = gatherRequested.get(nodes.length * k);
    // Element copies, not subarray views: a view per row is an allocation per node and request.
    const srcAlloc = matrix.alloc;
    const srcRequested = matrix.requested;
    for (let r = 0; r < nodes.length; r++) {
      const from = nodes[r]!.index * k;
      const to = r * k;
      for (let j = 0; j < k; j++) {
        alloc[to + j] = srcAlloc[from + j]!;
        requested[to + j] = srcRequested[from + j]!;
      }
    }
  }
  const count = gather ? nodes.length : all;
  const out = kernelOut.get(count);
  const consts = resourceConstants(resources);
  resourceScoreKernel()(
    {
      strategy: options.strategy,
      nodes: count,
      resources: k,
      alloc,
      nodeRequested: requested,
      podRequest: podRequestList(options.podRequest, resources),
      weights: consts.weights,
      scalar: consts.scalar,
      shape: options.shape ?? noShape,
    },
    out,
  );
  const scores = into ?? new Array<number>(nodes.length);
  for (let i = 0; i < nodes.length; i++) scores[i] = out[gather ? i : nodes[i]!.index]!;
  return scores;
}
