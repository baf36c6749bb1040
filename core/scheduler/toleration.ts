/** v1.Toleration.ToleratesTaint, with the Gt/Lt comparison operators behind their feature gate. */
import type { Taint, Toleration } from "../api/mod.ts";

const canonicalInt = /^(0|-?[1-9][0-9]*)$/;
const int64Min = -(2n ** 63n);
const int64Max = 2n ** 63n - 1n;

function parseInt64(value: string): bigint | undefined {
  if (!canonicalInt.test(value)) return undefined;
  const v = BigInt(value);
  return v < int64Min || v > int64Max ? undefined : v;
}

export interface TolerationResult {
  tolerated: boolean;
  /** Set when a Gt/Lt comparison could not parse a value. */
  parseError?: string;
}

export function toleratesTaint(t: Toleration, taint: Taint, comparisonOperators: boolean): TolerationResult {
  if (t.effect && t.effect !== taint.effect) return { tolerated: false };
  if (t.key && t.key !== taint.key) return { tolerated: false };
  switch (t.operator ?? "") {
    case "":
    case "Equal":
      return { tolerated: (t.value ?? "") === (taint.value ?? "") };
    case "Exists":
      return { tolerated: true };
    case "Gt":
    case "Lt": {
      if (!comparisonOperators) return { tolerated: false };
      const taintValue = parseInt64(taint.value ?? "");
      if (taintValue === undefined) {
        return {
          tolerated: false,
          parseError: `failed to parse taint value ${JSON.stringify(taint.value ?? "")} as int64: must be a valid decimal integer in canonical form`,
        };
      }
      const tolValue = parseInt64(t.value ?? "");
      if (tolValue === undefined) {
        return {
          tolerated: false,
          parseError: `failed to parse toleration value ${JSON.stringify(t.value ?? "")} as int64: must be a valid decimal integer in canonical form`,
        };
      }
      return { tolerated: t.operator === "Gt" ? taintValue > tolValue : taintValue < tolValue };
    }
    default:
      return { tolerated: false };
  }
}

/** Whether any toleration tolerates the taint; the first parse error seen is reported when none does. */
export function tolerationsTolerateTaint(
  tolerations: readonly Toleration[],
  taint: Taint,
  comparisonOperators: boolean,
): TolerationResult {
  let parseError: string | undefined;
  for (const t of tolerations) {
    const r = toleratesTaint(t, taint, comparisonOperators);
    if (r.tolerated) return r;
    parseError ??= r.parseError;
  }
  return parseError ? { tolerated: false, parseError } : { tolerated: false };
}
