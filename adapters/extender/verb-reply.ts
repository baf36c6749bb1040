/**
 * One extender request, transport aside: the body text in, the status and
 * JSON text out. Shared by the Hono routes and the node:http fast path so both
 * answer byte for byte alike (bad input → 400 naming the field, 413 for
 * oversized bodies, 500 only for internal errors).
 */
import { KiteError } from "../../core/errors/mod.ts";
import type { Logger } from "../log/logger.ts";

export class HttpError extends Error {
  readonly status: 400 | 413;
  readonly field: string | undefined;
  constructor(status: 400 | 413, message: string, field?: string) {
    super(message);
    this.status = status;
    this.field = field;
  }
}

export interface VerbReply {
  status: number;
  /** JSON text, or its UTF-8 bytes. */
  body: string | Uint8Array;
}

/** A verb: decodes and runs the parsed body; `encode` writes its result (default JSON.stringify). */
export interface VerbRoute {
  run(body: unknown): unknown;
  encode?(payload: never): string | Uint8Array;
}

export function tooLarge(limit: number, declared?: number): HttpError {
  return declared === undefined
    ? new HttpError(413, `request body exceeds the limit of ${limit} bytes`, "body")
    : new HttpError(413, `request body of ${declared} bytes exceeds the limit of ${limit} bytes`, "body");
}

/** Whether the body is only whitespace (V8's trim returns the string itself or a slice of it: no copy). */
export function isBlank(text: string): boolean {
  return text.trim() === "";
}

/** JSON.parse with the extender's errors: an empty body and malformed JSON are 400s naming `body`. */
export function parseBody(text: string): unknown {
  if (isBlank(text)) throw new HttpError(400, "request body is empty", "body");
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new HttpError(400, `malformed JSON: ${(e as Error).message}`, "body");
  }
}

/** The reply for a failure: HttpError as is, KiteError invalid_argument → 400, anything else → 500. */
export function errorReply(e: unknown, verb: string, log: Logger): VerbReply {
  if (e instanceof HttpError) {
    const payload = { Error: e.field ? `${e.field}: ${e.message}` : e.message, field: e.field ?? null };
    return { status: e.status, body: JSON.stringify(payload) };
  }
  const err = KiteError.from(e);
  const status = err.code === "invalid_argument" ? 400 : 500;
  if (status === 500) log.error("extender request failed", { verb, err: err.message });
  return { status, body: JSON.stringify({ Error: err.message, field: err.field ?? null }) };
}

/** Parses, runs and encodes; synchronous when the verb is. */
export function replyTo(
  route: VerbRoute,
  verb: string,
  text: string,
  log: Logger,
): VerbReply | Promise<VerbReply> {
  const encode = (payload: unknown): VerbReply => ({
    status: 200,
    body: route.encode ? route.encode(payload as never) : JSON.stringify(payload),
  });
  try {
    const payload = route.run(parseBody(text));
    if (payload instanceof Promise) {
      return payload.then(encode).catch((e: unknown) => errorReply(e, verb, log));
    }
    return encode(payload);
  } catch (e) {
    return errorReply(e, verb, log);
  }
}
