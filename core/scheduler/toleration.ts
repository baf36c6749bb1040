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

// Shared answers for the common cases: a result per call is garbage per node and taint.
const yes: TolerationResult = Object.freeze({ tolerated: true });
const no: TolerationResult = Object.freeze({ tolerated: false });

export function toleratesTaint(t: Toleration, taint: Taint, comparisonOperators: boolean): TolerationResult {
  if (t.effect && t.effect !== taint.effect) return no;
  if (t.key && t.key !== taint.key) return no;
  switch (t.operator ?? "") {
    case "":
    case "Equal":
      return (t.value ?? "") === (taint.value ?? "") ? yes : no;
    case "Exists":
      return yes;
    case "Gt":
    case "Lt": {
      if (!comparisonOperators) return no;
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
      return (t.operator === "Gt" ? taintValue > tolValue : taintValue < tolValue) ? yes : no;
    }
    default:
      return no;
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
  return parseError ? { tolerated: false, parseError } : no;
}
