/** A failed API server request, carrying the HTTP status and the Status reason the server sent. */
import { KiteError, type KiteErrorCode } from "../../core/errors/mod.ts";

function codeFor(status: number, reason: string): KiteErrorCode {
  if (status === 404) return "not_found";
  if (status === 409) return reason === "AlreadyExists" ? "already_exists" : "conflict";
  if (status === 410) return "failed_precondition";
  if (status === 401) return "unauthenticated";
  if (status === 403) return "permission_denied";
  if (status === 422 || status === 400) return "invalid_argument";
  if (status === 429) return "resource_exhausted";
  if (status === 504) return "deadline_exceeded";
  if (status === 0 || status >= 500) return "unavailable";
  return "internal";
}

export class ApiError extends KiteError {
  override name = "ApiError";
  /** HTTP status; 0 when no response arrived (connection refused, reset, timeout). */
  readonly status: number;
  /** metav1.Status reason (NotFound, Conflict, AlreadyExists, Expired, Gone, ...). */
  readonly reason: string;
  readonly method: string;
  readonly path: string;

  constructor(
    method: string,
    path: string,
    status: number,
    reason: string,
    message: string,
    cause?: unknown,
  ) {
    super(codeFor(status, reason), `${method} ${path}: ${status ? `${status} ${reason}: ` : ""}${message}`, {
      cause,
    });
    this.status = status;
    this.reason = reason;
    this.method = method;
    this.path = path;
  }
}

export const isNotFound = (e: unknown): boolean => e instanceof ApiError && e.status === 404;
export const isConflict = (e: unknown): boolean =>
  e instanceof ApiError && e.status === 409 && e.reason !== "AlreadyExists";
export const isAlreadyExists = (e: unknown): boolean =>
  e instanceof ApiError && e.status === 409 && e.reason === "AlreadyExists";
export const isGone = (e: unknown): boolean =>
  e instanceof ApiError && (e.status === 410 || e.reason === "Expired" || e.reason === "Gone");
/** Worth retrying: no response, throttled, or a server-side error. */
export const isRetriable = (e: unknown): boolean =>
  e instanceof ApiError && (e.status === 0 || e.status === 429 || e.status >= 500);
