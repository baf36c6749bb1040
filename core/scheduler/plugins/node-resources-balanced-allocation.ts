/**
 * NodeResourcesBalancedAllocation (v1.35 formula): favours nodes whose
 * requested fractions of the listed resources stay close together,
 * score = (1 - std) * 100 over real requests (no non-zero defaults).
 */
import { asObject } from "../field-error.ts";
import type { PluginFactory } from "../plugin.ts";
import { podRequestList, type ResourceSpec, scoreByResources } from "../resource-allocation.ts";
import { strategyBalancedAllocation } from "../resource-score-kernel.ts";
import { skip, success } from "../status.ts";
import { resolveResourceSpecs } from "./resource-specs.ts";

export const balancedAllocationName = "NodeResourcesBalancedAllocation";

export interface BalancedAllocationArgs {
  resources: ResourceSpec[];
}

export const nodeResourcesBalancedAllocation: PluginFactory<BalancedAllocationArgs> = {
  name: balancedAllocationName,
  resolveArgs(raw, options) {
    const args = asObject(raw, "args");
    return { resources: resolveResourceSpecs(args.resources, "resources", options.strict) };
  },
  create(args) {
    return {
      name: balancedAllocationName,
      preScore(ctx) {
        const reqs = podRequestList(ctx.podInfo.requests, args.resources);
        return reqs.every((v) => v === 0) ? skip : success;
      },
      scoreAll(ctx, nodes, out) {
        return scoreByResources(
          ctx,
          nodes,
          {
            strategy: strategyBalancedAllocation,
            resources: args.resources,
            useRequested: true,
            podRequest: ctx.podInfo.requests,
          },
          out,
        );
      },
    };
  },
};
