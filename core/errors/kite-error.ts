/**
 * The one error family of kite. Every failure that crosses a public API is a
 * KiteError with a stable code; errors caused by bad input also carry the
 * path of the offending field (for example `spec.containers[0].resources.limits.cpu`).
 */
export type KiteErrorCode =
  | "invalid_argument"
  | "not_found"
  | "already_exists"
  | "failed_precondition"
  | "conflict"
  | "permission_denied"
  | "unauthenticated"
  | "resource_exhausted"
  | "deadline_exceeded"
  | "unavailable"
  | "unimplemented"
  | "internal";

export interface KiteErrorOptions {
  /** Path of the field that holds the bad value, for `invalid_argument`. */
  field?: string;
  /** The underlying error, when this one wraps another. */
  cause?: unknown;
}

export class KiteError extends Error {
  override name = "KiteError";
  readonly code: KiteErrorCode;
  readonly field: string | undefined;
  /** The message without the field prefix. */
  readonly rawMessage: string;

  constructor(code: KiteErrorCode, message: string, options: KiteErrorOptions = {}) {
    super(options.field ? `${options.field}: ${message}` : message, { cause: options.cause });
    this.code = code;
    this.field = options.field;
    this.rawMessage = message;
  }

  /** The same error, reported under a longer field path (`prefix` + "." + field). */
  withFieldPrefix(prefix: string): KiteError {
    const field = this.field ? joinFieldPath(prefix, this.field) : prefix;
    return new KiteError(this.code, this.rawMessage, { field, cause: this.cause });
  }

  /** Narrows an unknown thrown value, wrapping anything that is not a KiteError. */
  static from(reason: unknown, code: KiteErrorCode = "internal"): KiteError {
    if (reason instanceof KiteError) return reason;
    const message = reason instanceof Error ? reason.message : String(reason);
    return new KiteError(code, message, { cause: reason });
  }
}

/** Bad input: names the field and, where useful, quotes the bad value. */
export function invalidArgument(field: string, message: string): KiteError {
  return new KiteError("invalid_argument", message, { field });
}

/** Joins field path segments the way Kubernetes field errors print them. */
export function joinFieldPath(prefix: string, field: string): string {
  if (!prefix) return field;
  if (!field) return prefix;
  return field.startsWith("[") ? `${prefix}${field}` : `${prefix}.${field}`;
}
