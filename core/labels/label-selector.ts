import type { LabelSelector, LabelSelectorRequirement } from "../api/meta.ts";
import { invalidArgument } from "../errors/kite-error.ts";
import { labelKeyError, labelValueError } from "./validation.ts";

export type Labels = Readonly<Record<string, string>> | undefined;

/** A compiled selector: a predicate over a label set. */
export interface Selector {
  matches(labels: Labels): boolean;
  /** True for the selector that matches everything (the empty selector). */
  readonly empty: boolean;
  /** True for the selector that matches nothing (a null selector). */
  readonly nothing: boolean;
}

export type RequirementOperator = "In" | "NotIn" | "Exists" | "DoesNotExist" | "Gt" | "Lt";

/** One parsed requirement, as labels.Requirement holds it. */
export interface Requirement {
  readonly key: string;
  readonly operator: RequirementOperator;
  readonly values: readonly string[];
}

const operators = new Set<RequirementOperator>(["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"]);
const int64Re = /^[+-]?[0-9]+$/;

/**
 * Builds one requirement, validating it as labels.NewRequirement does
 * (In/NotIn need values, Exists/DoesNotExist none, Gt/Lt exactly one integer).
 */
export function newRequirement(
  key: string,
  operator: string,
  values: readonly string[],
  field: string,
): Requirement {
  const keyErr = labelKeyError(key);
  if (keyErr) throw invalidArgument(`${field}.key`, `invalid label key ${JSON.stringify(key)}: ${keyErr}`);
  if (!operators.has(operator as RequirementOperator)) {
    throw invalidArgument(`${field}.operator`, `not a valid selector operator: ${JSON.stringify(operator)}`);
  }
  const op = operator as RequirementOperator;
  switch (op) {
    case "In":
    case "NotIn":
      if (values.length === 0) {
        throw invalidArgument(`${field}.values`, "for 'in', 'notin' operators, values set can't be empty");
      }
      break;
    case "Exists":
    case "DoesNotExist":
      if (values.length !== 0) {
        throw invalidArgument(`${field}.values`, "values set must be empty for exists and does not exist");
      }
      break;
    case "Gt":
    case "Lt":
      if (values.length !== 1) {
        throw invalidArgument(`${field}.values`, "for 'Gt', 'Lt' operators, exactly one value is required");
      }
      if (!int64Re.test(values[0]!)) {
        throw invalidArgument(`${field}.values[0]`, `for 'Gt', 'Lt' operators, the value must be an integer`);
      }
      break;
  }
  if (op !== "Gt" && op !== "Lt") {
    values.forEach((v, i) => {
      const err = labelValueError(v);
      if (err)
        throw invalidArgument(`${field}.values[${i}]`, `invalid label value ${JSON.stringify(v)}: ${err}`);
    });
  }
  return { key, operator: op, values: [...values] };
}

/** Whether one requirement matches a label set (labels.Requirement.Matches). */
export function requirementMatches(r: Requirement, labels: Labels): boolean {
  const has = labels !== undefined && Object.hasOwn(labels, r.key);
  const value = has ? labels![r.key]! : undefined;
  switch (r.operator) {
    case "In":
      return has && r.values.includes(value!);
    case "NotIn":
      return !has || !r.values.includes(value!);
    case "Exists":
      return has;
    case "DoesNotExist":
      return !has;
    case "Gt":
    case "Lt": {
      if (!has || !int64Re.test(value!)) return false;
      const left = BigInt(value!);
      const right = BigInt(r.values[0]!);
      return r.operator === "Gt" ? left > right : left < right;
    }
  }
}

/** A selector over a fixed list of requirements, all of which must match. */
export function selectorFromRequirements(requirements: readonly Requirement[]): Selector {
  return {
    empty: requirements.length === 0,
    nothing: false,
    matches: (labels) => requirements.every((r) => requirementMatches(r, labels)),
  };
}

export const everything: Selector = Object.freeze({ empty: true, nothing: false, matches: () => true });
export const nothing: Selector = Object.freeze({ empty: false, nothing: true, matches: () => false });

/**
 * Compiles a metav1.LabelSelector with upstream semantics: a null selector
 * matches nothing, an empty one ({}) matches everything.
 */
export function labelSelector(selector: LabelSelector | null | undefined, field = "selector"): Selector {
  if (selector === null || selector === undefined) return nothing;
  const requirements: Requirement[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    requirements.push(newRequirement(key, "In", [value], `${field}.matchLabels[${key}]`));
  }
  (selector.matchExpressions ?? []).forEach((expr: LabelSelectorRequirement, i) => {
    const f = `${field}.matchExpressions[${i}]`;
    if (expr.operator === "Gt" || expr.operator === "Lt") {
      throw invalidArgument(
        `${f}.operator`,
        `${JSON.stringify(expr.operator)} is not a valid label selector operator`,
      );
    }
    requirements.push(newRequirement(expr.key, expr.operator, expr.values ?? [], f));
  });
  if (requirements.length === 0) return everything;
  return selectorFromRequirements(requirements);
}

/** A selector from a plain map (Service.spec.selector, Pod.spec.nodeSelector): all pairs must match. */
export function selectorFromSet(set: Readonly<Record<string, string>> | null | undefined): Selector {
  const entries = Object.entries(set ?? {});
  if (entries.length === 0) return everything;
  return {
    empty: false,
    nothing: false,
    matches: (labels) =>
      labels !== undefined && entries.every(([k, v]) => Object.hasOwn(labels, k) && labels[k] === v),
  };
}
