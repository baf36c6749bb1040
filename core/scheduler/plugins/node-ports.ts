/** NodePorts: the pod's host ports (containers and init containers) must be free on the node. */
import { hostPortConflicts } from "../node-info.ts";
import type { PluginFactory } from "../plugin.ts";
import { skip, success, unschedulable } from "../status.ts";
import { resolveNoArgs } from "./no-args.ts";

export const nodePortsName = "NodePorts";
export const errReasonNodePorts = "node(s) didn't have free ports for the requested pod ports";

export const nodePorts: PluginFactory<Record<string, never>> = {
  name: nodePortsName,
  resolveArgs: resolveNoArgs,
  create: () => ({
    name: nodePortsName,
    preFilter(ctx) {
      return { status: ctx.podInfo.hostPorts.length === 0 ? skip : success };
    },
    filter(ctx, node) {
      for (const p of ctx.podInfo.hostPorts) {
        if (hostPortConflicts(node, p)) return unschedulable(errReasonNodePorts);
      }
      return success;
    },
  }),
};
