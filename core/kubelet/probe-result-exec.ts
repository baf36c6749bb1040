import type { ProbeVerdict } from "./probe-result.ts";
import { capProbeBody } from "./probe-result-http.ts";

/**
 * An exec probe (probe/exec): exit 0 Success, any other exit Failure, both with the combined output (10 KiB
 * kept); a timeout is a Failure naming the command (ExecProbeTimeout); a failure to run at all is Unknown with
 * an error (retried, then discarded).
 */
export function classifyExecResult(r: {
  exitCode?: number;
  output?: string | Uint8Array;
  timedOut?: boolean;
  command?: readonly string[];
  error?: string;
}): ProbeVerdict {
  if (r.timedOut) {
    return { result: "Failure", output: `command ${JSON.stringify((r.command ?? []).join(" "))} timed out` };
  }
  if (r.exitCode === undefined) {
    return { result: "Unknown", output: "", error: r.error ?? "exec probe did not report an exit code" };
  }
  const output = capProbeBody(r.output);
  return { result: r.exitCode === 0 ? "Success" : "Failure", output };
}
