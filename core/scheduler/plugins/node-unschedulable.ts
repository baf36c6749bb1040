/** NodeUnschedulable: a cordoned node only takes pods that tolerate node.kubernetes.io/unschedulable:NoSchedule. */
import type { Taint } from "../../api/mod.ts";
import type { PluginFactory } from "../plugin.ts";
import { success, unresolvable } from "../status.ts";
import { tolerationsTolerateTaint } from "../toleration.ts";
import { resolveNoArgs } from "./no-args.ts";

export const nodeUnschedulableName = "NodeUnschedulable";
export const errReasonUnschedulable = "node(s) were unschedulable";
const unschedulableTaint: Taint = { key: "node.kubernetes.io/unschedulable", effect: "NoSchedule" };

export const nodeUnschedulable: PluginFactory<Record<string, never>> = {
  name: nodeUnschedulableName,
  resolveArgs: resolveNoArgs,
  create: () => ({
    name: nodeUnschedulableName,
    filter(ctx, node) {
      if (!node.unschedulable) return success;
      const tolerations = ctx.pod.spec?.tolerations ?? [];
      if (tolerationsTolerateTaint(tolerations, unschedulableTaint, false).tolerated) return success;
      return unresolvable(errReasonUnschedulable);
    },
  }),
};
