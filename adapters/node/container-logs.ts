import { closeSync, openSync, readFileSync, readSync, statSync } from "node:fs";

/** One line of a CRI log file: `<RFC3339Nano> <stdout|stderr> <P|F> <message>`. */
export interface CriLogLine {
  time: string;
  stream: "stdout" | "stderr";
  partial: boolean;
  message: string;
}

export function parseCriLogLine(line: string): CriLogLine | undefined {
  const m = /^(\S+) (stdout|stderr) ([PF]) (.*)$/.exec(line);
  if (!m) return undefined;
  return { time: m[1]!, stream: m[2] as "stdout" | "stderr", partial: m[3] === "P", message: m[4]! };
}

export interface LogOptions {
  tailLines?: number;
  timestamps?: boolean;
  limitBytes?: number;
  sinceTime?: string;
}

function render(lines: CriLogLine[], timestamps: boolean): string {
  let out = "";
  let pending = "";
  for (const l of lines) {
    pending += l.message;
    if (l.partial) continue;
    out += timestamps ? `${l.time} ${pending}\n` : `${pending}\n`;
    pending = "";
  }
  return out;
}

/** Reads a container's CRI log file as `kubectl logs` shows it (tail, timestamps, limit). */
export function readContainerLog(path: string, opts: LogOptions): string {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return "";
  }
  let lines = text
    .split("\n")
    .map(parseCriLogLine)
    .filter((l): l is CriLogLine => !!l);
  if (opts.sinceTime) lines = lines.filter((l) => l.time >= opts.sinceTime!);
  if (opts.tailLines !== undefined && opts.tailLines >= 0) {
    const full: number[] = [];
    lines.forEach((l, i) => {
      if (!l.partial) full.push(i);
    });
    const startLine = full.length > opts.tailLines ? full[full.length - opts.tailLines - 1]! + 1 : 0;
    lines = lines.slice(opts.tailLines === 0 ? lines.length : startLine);
  }
  let out = render(lines, opts.timestamps ?? false);
  if (opts.limitBytes !== undefined) out = out.slice(0, opts.limitBytes);
  return out;
}

/** Follows a log file from `offset`, calling `emit` with rendered new lines until `signal` aborts. */
export async function followContainerLog(
  path: string,
  offset: number,
  timestamps: boolean,
  emit: (chunk: string) => Promise<void> | void,
  signal: AbortSignal,
  stillRunning: () => boolean,
): Promise<void> {
  let pos = offset;
  let rest = "";
  while (!signal.aborted) {
    let size = 0;
    try {
      size = statSync(path).size;
    } catch {
      return;
    }
    if (size > pos) {
      const buf = Buffer.alloc(size - pos);
      const fd = openSync(path, "r");
      try {
        readSync(fd, buf, 0, buf.length, pos);
      } finally {
        closeSync(fd);
      }
      pos = size;
      const text = rest + buf.toString("utf8");
      const parts = text.split("\n");
      rest = parts.pop() ?? "";
      const lines = parts.map(parseCriLogLine).filter((l): l is CriLogLine => !!l);
      const out = render(lines, timestamps);
      if (out) await emit(out);
    } else if (!stillRunning()) {
      return;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
