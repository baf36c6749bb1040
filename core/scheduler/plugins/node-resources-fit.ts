/**
 * NodeResourcesFit: Filter checks that the node has room for the pod's
 * requests (pods, cpu, memory, ephemeral-storage, scalar resources); Score
 * ranks nodes with the configured strategy (LeastAllocated, MostAllocated,
 * RequestedToCapacityRatio) over the non-zero requests.
 */
import type { ShapePoint } from "../broken-linear.ts";
import { asArray, asObject, asString, fieldInvalid, fieldNotSupported } from "../field-error.ts";
import type { NodeInfo } from "../node-info.ts";
import type { PluginFactory } from "../plugin.ts";
import { isExtendedResourceName, type Resource } from "../resource.ts";
import { type ResourceSpec, scoreByResources } from "../resource-allocation.ts";
import { type InsufficientResource, type Status, success, unresolvable } from "../status.ts";
import { leastAllocated } from "./least-allocated.ts";
import { mostAllocated } from "./most-allocated.ts";
import { requestedToCapacityRatio, resolveShape, scaledShape } from "./requested-to-capacity-ratio.ts";
import { resolveResourceSpecs } from "./resource-specs.ts";

export const nodeResourcesFitName = "NodeResourcesFit";
export const errReasonSidecars =
  "Pod has a restartable init container and the SidecarContainers feature is disabled";

export type ScoringStrategyType = "LeastAllocated" | "MostAllocated" | "RequestedToCapacityRatio";

export interface NodeResourcesFitArgs {
  ignoredResources: string[];
  ignoredResourceGroups: string[];
  scoringStrategy: {
    type: ScoringStrategyType;
    resources: ResourceSpec[];
    requestedToCapacityRatio?: { shape: ShapePoint[] };
  };
}

const strategies = [leastAllocated, mostAllocated, requestedToCapacityRatio];

function resolveFitArgs(raw: unknown, options: { strict: boolean }): NodeResourcesFitArgs {
  const args = asObject(raw, "args");
  const ignoredResources = asArray(args.ignoredResources, "ignoredResources").map((v, i) =>
    asString(v, `ignoredResources[${i}]`),
  );
  const ignoredResourceGroups = asArray(args.ignoredResourceGroups, "ignoredResourceGroups").map((v, i) => {
    const g = asString(v, `ignoredResourceGroups[${i}]`);
    if (g.includes("/"))
      throw fieldInvalid(`ignoredResourceGroups[${i}]`, g, "resource group name can't contain '/'");
    return g;
  });
  const ss = asObject(args.scoringStrategy, "scoringStrategy");
  const type = ss.type === undefined || ss.type === null ? "LeastAllocated" : ss.type;
  if (!strategies.some((s) => s.type === type)) {
    throw fieldNotSupported(
      "scoringStrategy.type",
      type,
      strategies.map((s) => s.type),
    );
  }
  const resources = resolveResourceSpecs(ss.resources, "scoringStrategy.resources", options.strict);
  const out: NodeResourcesFitArgs = {
    ignoredResources,
    ignoredResourceGroups,
    scoringStrategy: { type: type as ScoringStrategyType, resources },
  };
  if (type === "RequestedToCapacityRatio") {
    out.scoringStrategy.requestedToCapacityRatio = {
      shape: resolveShape(ss.requestedToCapacityRatio, "scoringStrategy.requestedToCapacityRatio"),
    };
  }
  return out;
}

function insufficient(name: string, requested: number, used: number, capacity: number): InsufficientResource {
  const r: InsufficientResource = {
    resourceName: name,
    reason: `Insufficient ${name}`,
    requested,
    used,
    capacity,
  };
  return requested > capacity ? { ...r, unresolvable: true } : r;
}

/** Whether the pod fits (no allocation; the common case on the hot path). */
function fitsQuickly(
  pod: Resource,
  node: NodeInfo,
  ignored: ReadonlySet<string>,
  groups: ReadonlySet<string>,
): boolean {
  const alloc = node.allocatable;
  const used = node.requested;
  if (node.pods.length + 1 > alloc.allowedPodNumber) return false;
  if (pod.milliCPU > 0 && pod.milliCPU > alloc.milliCPU - used.milliCPU) return false;
  if (pod.memory > 0 && pod.memory > alloc.memory - used.memory) return false;
  if (pod.ephemeralStorage > 0 && pod.ephemeralStorage > alloc.ephemeralStorage - used.ephemeralStorage)
    return false;
  if (pod.scalar.size === 0) return true;
  return fitsRequest(pod, node, ignored, groups).length === 0;
}

/** fitsRequest: every resource the pod is short of on the node, in upstream's order. */
export function fitsRequest(
  pod: Resource,
  node: NodeInfo,
  ignoredResources: ReadonlySet<string>,
  ignoredGroups: ReadonlySet<string>,
): InsufficientResource[] {
  const out: InsufficientResource[] = [];
  const alloc = node.allocatable;
  const used = node.requested;
  const allowed = alloc.allowedPodNumber;
  if (node.pods.length + 1 > allowed) {
    out.push({
      resourceName: "pods",
      reason: "Too many pods",
      requested: 1,
      used: node.pods.length,
      capacity: allowed,
    });
  }
  if (pod.milliCPU === 0 && pod.memory === 0 && pod.ephemeralStorage === 0 && pod.scalar.size === 0)
    return out;
  if (pod.milliCPU > 0 && pod.milliCPU > alloc.milliCPU - used.milliCPU) {
    out.push(insufficient("cpu", pod.milliCPU, used.milliCPU, alloc.milliCPU));
  }
  if (pod.memory > 0 && pod.memory > alloc.memory - used.memory) {
    out.push(insufficient("memory", pod.memory, used.memory, alloc.memory));
  }
  if (pod.ephemeralStorage > 0 && pod.ephemeralStorage > alloc.ephemeralStorage - used.ephemeralStorage) {
    out.push(
      insufficient("ephemeral-storage", pod.ephemeralStorage, used.ephemeralStorage, alloc.ephemeralStorage),
    );
  }
  for (const [name, q] of pod.scalar) {
    if (q === 0) continue;
    if (isExtendedResourceName(name)) {
      const prefix = name.split("/")[0]!;
      if (ignoredResources.has(name) || ignoredGroups.has(prefix)) continue;
    }
    const a = alloc.scalar.get(name) ?? 0;
    const u = used.scalar.get(name) ?? 0;
    if (q > a - u) out.push(insufficient(name, q, u, a));
  }
  return out;
}

export function fitStatus(list: readonly InsufficientResource[]): Status {
  if (list.length === 0) return success;
  return {
    code: list.some((r) => r.unresolvable) ? "UnschedulableAndUnresolvable" : "Unschedulable",
    reasons: list.map((r) => r.reason),
    insufficientResources: list,
  };
}

export const nodeResourcesFit: PluginFactory<NodeResourcesFitArgs> = {
  name: nodeResourcesFitName,
  resolveArgs: resolveFitArgs,
  create(args, gates) {
    const ignored = new Set(args.ignoredResources);
    const ignoredGroups = new Set(args.ignoredResourceGroups);
    const strategy = strategies.find((s) => s.type === args.scoringStrategy.type)!;
    const shape = args.scoringStrategy.requestedToCapacityRatio
      ? scaledShape(args.scoringStrategy.requestedToCapacityRatio.shape)
      : undefined;
    return {
      name: nodeResourcesFitName,
      preFilter(ctx) {
        if (!gates.SidecarContainers && ctx.podInfo.hasRestartableInitContainer) {
          return { status: unresolvable(errReasonSidecars) };
        }
        return { status: success };
      },
      filter(ctx, node) {
        const pod = ctx.podInfo.requests;
        if (fitsQuickly(pod, node, ignored, ignoredGroups)) return success;
        return fitStatus(fitsRequest(pod, node, ignored, ignoredGroups));
      },
      scoreAll(ctx, nodes, out) {
        return scoreByResources(
          ctx,
          nodes,
          {
            strategy: strategy.kernelStrategy,
            resources: args.scoringStrategy.resources,
            useRequested: false,
            podRequest: ctx.podInfo.nonZeroRequests,
            shape,
          },
          out,
        );
      },
    };
  },
};
