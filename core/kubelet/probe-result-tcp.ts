import type { ProbeVerdict } from "./probe-result.ts";

/** A TCP probe: Success when the connect succeeded (then closed), Failure with the dial error otherwise. */
export function classifyTcpResult(r: { connected: boolean; error?: string }): ProbeVerdict {
  if (r.connected) return { result: "Success", output: "" };
  return { result: "Failure", output: r.error ?? "dial tcp: connection failed" };
}
