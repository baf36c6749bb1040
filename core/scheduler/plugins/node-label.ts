/**
 * NodeLabel (seed 001; dropped upstream in v1.23, kept here, off by default):
 * Filter requires presentLabels and forbids absentLabels; Score prefers nodes
 * carrying presentLabelsPreference and lacking absentLabelsPreference.
 */
import { asArray, asObject, asString, fieldInvalid } from "../field-error.ts";
import { maxNodeScore, type PluginFactory } from "../plugin.ts";
import { success, unresolvable } from "../status.ts";

export const nodeLabelName = "NodeLabel";
export const errReasonPresenceViolated = "node(s) didn't have the requested labels";

export interface NodeLabelArgs {
  presentLabels: string[];
  absentLabels: string[];
  presentLabelsPreference: string[];
  absentLabelsPreference: string[];
}

function strings(v: unknown, field: string): string[] {
  return asArray(v, field).map((s, i) => asString(s, `${field}[${i}]`));
}

function checkConflict(present: string[], absent: string[], field: string): void {
  const clash = present.find((l) => absent.includes(l));
  if (clash !== undefined) {
    throw fieldInvalid(
      field,
      clash,
      `detecting at least one label (e.g., ${JSON.stringify(clash)}) that exist in both the present and absent label list`,
    );
  }
}

export const nodeLabel: PluginFactory<NodeLabelArgs> = {
  name: nodeLabelName,
  resolveArgs(raw) {
    const a = asObject(raw, "args");
    const args: NodeLabelArgs = {
      presentLabels: strings(a.presentLabels, "presentLabels"),
      absentLabels: strings(a.absentLabels, "absentLabels"),
      presentLabelsPreference: strings(a.presentLabelsPreference, "presentLabelsPreference"),
      absentLabelsPreference: strings(a.absentLabelsPreference, "absentLabelsPreference"),
    };
    checkConflict(args.presentLabels, args.absentLabels, "absentLabels");
    checkConflict(args.presentLabelsPreference, args.absentLabelsPreference, "absentLabelsPreference");
    return args;
  },
  create(args) {
    const size = args.presentLabelsPreference.length + args.absentLabelsPreference.length;
    return {
      name: nodeLabelName,
      filter(_ctx, node) {
        const has = (l: string) => Object.hasOwn(node.labels, l);
        if (args.presentLabels.every(has) && !args.absentLabels.some(has)) return success;
        return unresolvable(errReasonPresenceViolated);
      },
      score(_ctx, node) {
        if (size === 0) return 0;
        let score = 0;
        for (const l of args.presentLabelsPreference)
          if (Object.hasOwn(node.labels, l)) score += maxNodeScore;
        for (const l of args.absentLabelsPreference)
          if (!Object.hasOwn(node.labels, l)) score += maxNodeScore;
        return Math.trunc(score / size);
      },
    };
  },
};
