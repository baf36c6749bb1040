/** NodeName: a pod with spec.nodeName fits only that node. */
import type { PluginFactory } from "../plugin.ts";
import { skip, success, unresolvable } from "../status.ts";
import { resolveNoArgs } from "./no-args.ts";

export const nodeNameName = "NodeName";
export const errReasonNodeName = "node(s) didn't match the requested node name";

export const nodeName: PluginFactory<Record<string, never>> = {
  name: nodeNameName,
  resolveArgs: resolveNoArgs,
  create: () => ({
    name: nodeNameName,
    // Not an upstream PreFilter: it only spares the per-node call for the usual pod without spec.nodeName.
    preFilter(ctx) {
      return { status: ctx.pod.spec?.nodeName ? success : skip };
    },
    filter(ctx, node) {
      const wanted = ctx.pod.spec?.nodeName;
      if (!wanted || wanted === node.name) return success;
      return unresolvable(errReasonNodeName);
    },
  }),
};
