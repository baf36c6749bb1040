import { invalidArgument } from "../../core/errors/mod.ts";

const units: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Parses a Go duration ("20s", "1m30s", "500ms", "0") to milliseconds. */
export function parseDuration(text: string, field: string): number {
  const s = text.trim();
  if (s === "0") return 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  let m: RegExpExecArray | null = re.exec(s);
  while (m) {
    total += Number(m[1]) * units[m[2]!]!;
    matched += m[0].length;
    m = re.exec(s);
  }
  if (matched === 0 || matched !== s.length) {
    throw invalidArgument(field, `${JSON.stringify(text)} is not a duration (like 20s, 1m30s, 500ms)`);
  }
  return total;
}
