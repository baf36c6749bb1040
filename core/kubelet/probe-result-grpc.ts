import type { ProbeVerdict } from "./probe-result.ts";

/** grpc.health.v1 HealthCheckResponse.ServingStatus names by number. */
const servingStatus = ["UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"] as const;

/**
 * A gRPC health probe (probe/grpc): SERVING Success; another status Failure "service unhealthy (responded with
 * "NOT_SERVING")"; an RPC error Failure naming Unimplemented ("does not implement the grpc health protocol"),
 * DeadlineExceeded, or the error; a connect failure Failure.
 */
export function classifyGrpcResult(r: {
  status?: string | number;
  /** gRPC status code name of a failed Check ("Unimplemented", "DeadlineExceeded", ...). */
  code?: string;
  error?: string;
  /** The connection could not be made. */
  connectFailed?: boolean;
  address?: string;
  timeoutMs?: number;
}): ProbeVerdict {
  const timeout = `${(r.timeoutMs ?? 1000) / 1000}s`;
  if (r.connectFailed) {
    if (r.code === "DeadlineExceeded")
      return {
        result: "Failure",
        output: `timeout: failed to connect service "${r.address ?? ""}" within ${timeout}: ${r.error ?? ""}`,
      };
    return {
      result: "Failure",
      output: `error: failed to connect service at "${r.address ?? ""}": ${r.error ?? ""}`,
    };
  }
  if (r.code !== undefined || (r.status === undefined && r.error !== undefined)) {
    const code = (r.code ?? "").replace(/_/g, "").toLowerCase();
    if (code === "unimplemented")
      return {
        result: "Failure",
        output: `error: this server does not implement the grpc health protocol (grpc.health.v1.Health): ${r.error ?? ""}`,
      };
    if (code === "deadlineexceeded")
      return { result: "Failure", output: `timeout: health rpc did not complete within ${timeout}` };
    return { result: "Failure", output: `error: health rpc probe failed: ${r.error ?? r.code ?? ""}` };
  }
  const name =
    typeof r.status === "number" ? (servingStatus[r.status] ?? String(r.status)) : (r.status ?? "UNKNOWN");
  if (name !== "SERVING")
    return { result: "Failure", output: `service unhealthy (responded with "${name}")` };
  return { result: "Success", output: "service is serving" };
}
