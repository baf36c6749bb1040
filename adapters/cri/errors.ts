import { Code, ConnectError } from "@connectrpc/connect";
import { KiteError, type KiteErrorCode } from "../../core/errors/mod.ts";

const codeMap: Partial<Record<Code, KiteErrorCode>> = {
  [Code.InvalidArgument]: "invalid_argument",
  [Code.NotFound]: "not_found",
  [Code.AlreadyExists]: "already_exists",
  [Code.FailedPrecondition]: "failed_precondition",
  [Code.PermissionDenied]: "permission_denied",
  [Code.Unauthenticated]: "unauthenticated",
  [Code.ResourceExhausted]: "resource_exhausted",
  [Code.DeadlineExceeded]: "deadline_exceeded",
  [Code.Unavailable]: "unavailable",
  [Code.Unimplemented]: "unimplemented",
  [Code.Canceled]: "deadline_exceeded",
};

function errnoOf(reason: unknown): string | undefined {
  let e: unknown = reason;
  for (let i = 0; i < 5 && e; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^E[A-Z]+$/.test(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Maps a Connect/gRPC or socket failure of one CRI call to a KiteError that says what went wrong. */
export function criError(method: string, socketPath: string, reason: unknown): KiteError {
  if (reason instanceof KiteError) return reason;
  const errno = errnoOf(reason);
  if (errno === "ENOENT") {
    return new KiteError(
      "unavailable",
      `container runtime socket ${socketPath} does not exist (is containerd running? see --container-runtime-endpoint)`,
      { cause: reason },
    );
  }
  if (errno === "ECONNREFUSED") {
    return new KiteError(
      "unavailable",
      `container runtime at ${socketPath} refused the connection (not running?)`,
      {
        cause: reason,
      },
    );
  }
  if (errno === "EACCES") {
    return new KiteError(
      "permission_denied",
      `no permission to open the container runtime socket ${socketPath}`,
      {
        cause: reason,
      },
    );
  }
  if (reason instanceof ConnectError) {
    const code = codeMap[reason.code] ?? "internal";
    const what = reason.code === Code.DeadlineExceeded ? "timed out" : "failed";
    return new KiteError(code, `CRI ${method} ${what}: ${reason.rawMessage}`, { cause: reason });
  }
  return new KiteError("internal", `CRI ${method} failed: ${(reason as Error)?.message ?? String(reason)}`, {
    cause: reason,
  });
}
