import { KiteError } from "../../core/errors/mod.ts";

/** A failed apply (iptables-restore, nft -f, ipset/ipvsadm), with the tool's message and the offending input line. */
export class ApplyError extends KiteError {
  readonly tool: string;
  readonly stderr: string;
  /** 1-based line of the input the tool rejected, when it said so. */
  readonly line: number | undefined;
  constructor(tool: string, stderr: string, input: string) {
    const m = /line (\d+)/.exec(stderr) ?? /stdin:(\d+):/.exec(stderr) ?? /-:(\d+):/.exec(stderr);
    const line = m ? Number(m[1]) : undefined;
    const quoted = line !== undefined ? input.split("\n")[line - 1] : undefined;
    const first = stderr.trim().split("\n").slice(0, 6).join("; ") || "failed";
    super("internal", `${tool}: ${first}${quoted !== undefined ? ` (input line ${line}: ${quoted})` : ""}`);
    this.name = "ApplyError";
    this.tool = tool;
    this.stderr = stderr;
    this.line = line;
  }
}
