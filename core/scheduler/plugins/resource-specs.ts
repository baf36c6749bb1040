/** Validation of the `resources: [{name, weight}]` lists of NodeResourcesFit and BalancedAllocation args. */
import { asArray, asObject, asString, fieldDuplicate, fieldInvalid } from "../field-error.ts";
import type { ResourceSpec } from "../resource-allocation.ts";

export const defaultResourceSpecs: readonly ResourceSpec[] = Object.freeze([
  { name: "cpu", weight: 1 },
  { name: "memory", weight: 1 },
]);

/**
 * `strict` is plugin construction (New): a weight must be in 1..100. Without
 * it, the v1 config defaulting runs first and turns an unset or 0 weight into 1.
 */
export function resolveResourceSpecs(raw: unknown, field: string, strict: boolean): ResourceSpec[] {
  const list = asArray(raw, field);
  if (list.length === 0) return defaultResourceSpecs.map((r) => ({ ...r }));
  const seen = new Set<string>();
  return list.map((item, i) => {
    const f = `${field}[${i}]`;
    const o = asObject(item, f);
    const name = asString(o.name, `${f}.name`);
    if (seen.has(name)) throw fieldDuplicate(`${f}.name`, name);
    seen.add(name);
    let weight = o.weight;
    if (!strict && (weight === undefined || weight === null || weight === 0)) weight = 1;
    if (weight === undefined || weight === null) weight = 0;
    if (typeof weight !== "number" || !Number.isInteger(weight) || weight <= 0 || weight > 100) {
      throw fieldInvalid(`${f}.weight`, weight, `resource weight of ${name} not in valid range [1, 100]`);
    }
    return { name, weight };
  });
}
