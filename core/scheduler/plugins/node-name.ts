/** NodeName: a pod with spec.nodeName fits only that node. */
import type { PluginFactory } from "../plugin.ts";
import { success, unresolvable } from "../status.ts";
import { resolveNoArgs } from "./no-args.ts";

export const nodeNameName = "NodeName";
export const errReasonNodeName = "node(s) didn't match the requested node name";

export const nodeName: PluginFactory<Record<string, never>> = {
  name: nodeNameName,
  resolveArgs: resolveNoArgs,
  create: () => ({
    name: nodeNameName,
    filter(ctx, node) {
      const wanted = ctx.pod.spec?.nodeName;
      if (!wanted || wanted === node.name) return success;
      return unresolvable(errReasonNodeName);
    },
  }),
};
