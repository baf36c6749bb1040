import { parseArgs as nodeParseArgs } from "node:util";
import { KiteError } from "../../core/errors/mod.ts";

export interface FlagSpec {
  type: "string" | "boolean";
  short?: string;
  multiple?: boolean;
  default?: string | boolean | string[];
}

/**
 * Parses flags the way the Kubernetes components accept them
 * (`--flag value`, `--flag=value`, booleans as `--flag` or `--flag=false`).
 * Unknown flags are a usage error naming the flag.
 */
export function parseFlags<T extends Record<string, FlagSpec>>(
  args: string[],
  spec: T,
): {
  values: {
    [K in keyof T]: T[K]["type"] extends "boolean"
      ? boolean
      : T[K]["multiple"] extends true
        ? string[]
        : string | undefined;
  };
  positionals: string[];
} {
  const normalized = args.map((a) => {
    const m = /^--([^=]+)=(true|false)$/.exec(a);
    if (m && spec[m[1]!]?.type === "boolean") return m[2] === "true" ? `--${m[1]}` : `--no-${m[1]}`;
    return a;
  });
  const options: Record<
    string,
    { type: "string" | "boolean"; short?: string; multiple?: boolean; default?: never }
  > = {};
  for (const [name, s] of Object.entries(spec)) {
    options[name] = {
      type: s.type,
      ...(s.short ? { short: s.short } : {}),
      ...(s.multiple ? { multiple: true } : {}),
    };
  }
  try {
    const { values, positionals } = nodeParseArgs({
      args: normalized,
      options,
      allowPositionals: true,
      allowNegative: true,
      strict: true,
    });
    const out: Record<string, unknown> = {};
    for (const [name, s] of Object.entries(spec)) {
      out[name] = values[name] ?? s.default ?? (s.type === "boolean" ? false : s.multiple ? [] : undefined);
    }
    return { values: out as never, positionals };
  } catch (e) {
    throw new KiteError("invalid_argument", (e as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, ""), {
      field: "flags",
    });
  }
}

/** Parses "host:port" (IPv6 as "[::1]:port"). */
export function parseHostPort(value: string, flag: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || port > 65535) {
    throw new KiteError("invalid_argument", `${JSON.stringify(value)} is not host:port`, { field: flag });
  }
  return { host: m[1] ?? (m[2] || "0.0.0.0"), port };
}
