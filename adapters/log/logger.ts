/**
 * Structured logs, in the two formats the Kubernetes components offer
 * (`--logging-format text|json`): klog-style text lines or one JSON object a line.
 */
export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogValues = Record<string, unknown>;

export interface Logger {
  debug(msg: string, values?: LogValues): void;
  info(msg: string, values?: LogValues): void;
  warn(msg: string, values?: LogValues): void;
  error(msg: string, values?: LogValues): void;
  /** A logger that adds these values to every line. */
  with(values: LogValues): Logger;
}

export interface LoggerOptions {
  format?: "text" | "json";
  level?: LogLevel;
  /** Where lines go; stderr by default. */
  write?: (line: string) => void;
  /** Clock, for tests. */
  now?: () => Date;
}

const rank: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };
const letter: Record<LogLevel, string> = { debug: "I", info: "I", warn: "W", error: "E" };

function textValue(v: unknown): string {
  if (v instanceof Error) return JSON.stringify(v.message);
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number" || typeof v === "boolean" || v === null || v === undefined) return String(v);
  return JSON.stringify(v);
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

export function createLogger(options: LoggerOptions = {}, base: LogValues = {}): Logger {
  const format = options.format ?? "text";
  const min = rank[options.level ?? "info"];
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const now = options.now ?? (() => new Date());
  const emit = (level: LogLevel, msg: string, values: LogValues = {}) => {
    if (rank[level] < min) return;
    const t = now();
    const all = { ...base, ...values };
    if (format === "json") {
      const record: Record<string, unknown> = {
        ts: t.getTime() / 1000,
        v: level === "debug" ? 4 : 0,
        level,
        msg,
      };
      for (const [k, v] of Object.entries(all)) record[k] = v instanceof Error ? v.message : v;
      write(JSON.stringify(record));
      return;
    }
    const stamp = `${letter[level]}${pad(t.getUTCMonth() + 1)}${pad(t.getUTCDate())} ${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}:${pad(t.getUTCSeconds())}.${pad(t.getUTCMilliseconds(), 3)}000`;
    const kv = Object.entries(all)
      .map(([k, v]) => ` ${k}=${textValue(v)}`)
      .join("");
    write(`${stamp} ${process.pid}] ${JSON.stringify(msg)}${kv}`);
  };
  return {
    debug: (m, v) => emit("debug", m, v),
    info: (m, v) => emit("info", m, v),
    warn: (m, v) => emit("warn", m, v),
    error: (m, v) => emit("error", m, v),
    with: (values) => createLogger(options, { ...base, ...values }),
  };
}

/** A logger that drops everything (tests, library use). */
export const silentLogger: Logger = createLogger({ write: () => {} });
