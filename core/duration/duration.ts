import { invalidArgument } from "../errors/mod.ts";

const unitMs: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * Parses a Go duration string ("30s", "1m30s", "1.5h", "10ns", "-5s") into milliseconds,
 * as time.ParseDuration reads it. A bare "0" is zero.
 * @param field the flag or field to name in the error
 */
export function parseDuration(input: string, field = "duration"): number {
  const text = input.trim();
  if (text === "0" || text === "+0" || text === "-0") return 0;
  const m = /^([+-]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/.exec(text);
  if (!m) throw invalidArgument(field, `invalid duration ${JSON.stringify(input)}`);
  const sign = m[1] === "-" ? -1 : 1;
  let total = 0;
  for (const part of text.replace(/^[+-]/, "").matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) {
    total += Number(part[1]) * unitMs[part[2]!]!;
  }
  return sign * total;
}

/** Formats milliseconds the way Go prints a time.Duration ("5m0s", "10s", "1h0m0s", "500ms"). */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  const sign = ms < 0 ? "-" : "";
  let rest = Math.abs(ms);
  if (rest < 1000) return `${sign}${rest}ms`;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const s = Math.round(rest) / 1000;
  if (h > 0) return `${sign}${h}h${m}m${s}s`;
  if (m > 0) return `${sign}${m}m${s}s`;
  return `${sign}${s}s`;
}
