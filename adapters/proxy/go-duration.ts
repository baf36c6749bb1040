import { KiteError } from "../../core/errors/mod.ts";

const units: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Parses a Go duration ("30s", "1m0s", "1.5h", "100ms") into milliseconds. */
export function parseGoDuration(value: string, field: string): number {
  const s = value.trim();
  if (s === "0") return 0;
  const re = /([0-9]*\.?[0-9]+)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let pos = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * units[m[2]!]!;
    pos = re.lastIndex;
  }
  if (pos !== s.length || s.length === 0) {
    throw new KiteError(
      "invalid_argument",
      `${JSON.stringify(value)} is not a duration (like 1s, 500ms, 1m0s)`,
      {
        field,
      },
    );
  }
  return total;
}
