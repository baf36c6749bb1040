/**
 * ImageLocality: favours nodes that already have the pod's images, weighted
 * by how widely each image is spread (size × nodesWithImage / totalNodes),
 * clamped to [23MiB, 1000MiB × containers].
 */
import type { PluginFactory } from "../plugin.ts";
import { maxNodeScore } from "../plugin.ts";
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

export const imageLocality: PluginFactory<Record<string, never>> = {
  name: imageLocalityName,
  resolveArgs: resolveNoArgs,
  create: () => ({
    name: imageLocalityName,
    score(ctx, node) {
      const total = ctx.snapshot.nodeInfos.length;
      const spec = ctx.pod.spec;
      const numContainers = (spec?.initContainers?.length ?? 0) + (spec?.containers?.length ?? 0);
      let sum = 0;
      for (const image of ctx.podInfo.images) {
        const size = node.images.get(image);
        if (size === undefined) continue;
        const spread = (ctx.snapshot.imageNumNodes.get(image) ?? 0) / total;
        sum += Math.trunc(size * spread);
      }
      return imageLocalityPriority(sum, numContainers);
    },
  }),
};
