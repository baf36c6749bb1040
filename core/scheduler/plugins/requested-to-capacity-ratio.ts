/**
 * RequestedToCapacityRatio scoring strategy: a broken-linear function of the
 * utilization (0..100) per resource, shape scores 0..10 scaled to 0..100.
 */
import type { ShapePoint } from "../broken-linear.ts";
import { asArray, asInteger, asObject, fieldInvalid, fieldRequired } from "../field-error.ts";
import { maxNodeScore } from "../plugin.ts";
import { strategyRequestedToCapacityRatio } from "../resource-score-kernel.ts";

export const maxCustomPriorityScore = 10;
export const maxUtilization = 100;

export const requestedToCapacityRatio = {
  type: "RequestedToCapacityRatio",
  kernelStrategy: strategyRequestedToCapacityRatio,
} as const;

/** Validates a shape as ValidateNodeResourcesFitArgs does. */
export function resolveShape(raw: unknown, field: string): ShapePoint[] {
  const obj = asObject(raw, field);
  const points = asArray(obj.shape, `${field}.shape`);
  if (points.length === 0) throw fieldRequired(`${field}.shape`, "at least one point must be specified");
  const out: ShapePoint[] = [];
  points.forEach((p, i) => {
    const f = `${field}.shape[${i}]`;
    const o = asObject(p, f);
    const utilization = asInteger(o.utilization ?? 0, `${f}.utilization`);
    const score = asInteger(o.score ?? 0, `${f}.score`);
    if (utilization < 0 || utilization > maxUtilization) {
      throw fieldInvalid(`${f}.utilization`, utilization, `not in valid range [0, ${maxUtilization}]`);
    }
    if (i > 0 && utilization <= out[i - 1]!.utilization) {
      throw fieldInvalid(`${f}.utilization`, utilization, "values must be sorted in increasing order");
    }
    if (score < 0 || score > maxCustomPriorityScore) {
      throw fieldInvalid(`${f}.score`, score, `not in valid range [0, ${maxCustomPriorityScore}]`);
    }
    out.push({ utilization, score });
  });
  return out;
}

/** The shape as the kernel takes it: [u0, s0*10, u1, s1*10, ...]. */
export function scaledShape(shape: readonly ShapePoint[]): Float64Array {
  const out = new Float64Array(shape.length * 2);
  shape.forEach((p, i) => {
    out[2 * i] = p.utilization;
    out[2 * i + 1] = (p.score * maxNodeScore) / maxCustomPriorityScore;
  });
  return out;
}
