/**
 * ImageLocality: favours nodes that already have the pod's images, weighted
 * by how widely each image is spread (size × nodesWithImage / totalNodes),
 * clamped to [23MiB, 1000MiB × containers].
 */
import { type CycleContext, maxNodeScore, type PluginFactory } from "../plugin.ts";
import { Float64Scratch } from "../scratch.ts";
import { resolveNoArgs } from "./no-args.ts";

export const imageLocalityName = "ImageLocality";
const mb = 1024 * 1024;
export const minThreshold = 23 * mb;
export const maxContainerThreshold = 1000 * mb;

export function imageLocalityPriority(sumScores: number, numContainers: number): number {
  const maxThreshold = maxContainerThreshold * numContainers;
  let s = sumScores;
  if (s < minThreshold) s = minThreshold;
  else if (s > maxThreshold) s = maxThreshold;
  return Math.trunc((maxNodeScore * (s - minThreshold)) / (maxThreshold - minThreshold));
}

const scratch = new Float64Scratch();

/**
 * Σ over the pod's images present on each node of int64(size × numNodes/totalNodes), by snapshot index.
 * The result is a scratch buffer, valid until the next call.
 */
function sumScores(ctx: CycleContext): Float64Array {
  const total = ctx.snapshot.nodeInfos.length;
  const sums = scratch.zeroed(total);
  for (const image of ctx.podInfo.images) {
    const entry = ctx.snapshot.imageNodes.get(image);
    if (!entry) continue;
    const spread = entry.indexes.length / total;
    for (let i = 0; i < entry.indexes.length; i++) {
      sums[entry.indexes[i]!]! += Math.trunc(entry.sizes[i]! * spread);
    }
  }
  return sums;
}

function numContainers(ctx: CycleContext): number {
  const spec = ctx.pod.spec;
  return (spec?.initContainers?.length ?? 0) + (spec?.containers?.length ?? 0);
}

export const imageLocality: PluginFactory<Record<string, never>> = {
  name: imageLocalityName,
  resolveArgs: resolveNoArgs,
  create: () => ({
    name: imageLocalityName,
    scoreAll(ctx, nodes, out) {
      const sums = sumScores(ctx);
      const n = numContainers(ctx);
      const scores = out ?? new Array<number>(nodes.length);
      for (let i = 0; i < nodes.length; i++) scores[i] = imageLocalityPriority(sums[nodes[i]!.index]!, n);
      return scores;
    },
  }),
};
