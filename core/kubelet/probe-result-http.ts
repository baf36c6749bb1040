import type { HttpProbeAction } from "./probe-action.ts";
import { maxProbeOutputBytes, type ProbeVerdict } from "./probe-result.ts";

/** One HTTP request the daemon performs for a probe, without following redirects. */
export interface HttpProbeRequest {
  method: "GET";
  url: string;
  headers: [string, string][];
  /** Request Host header (Go req.Host) when not the URL's host:port. */
  hostHeader?: string;
  timeoutMs: number;
  /** HTTPS probes never verify the server certificate. */
  insecureSkipVerify: true;
}

/** What came back: status, Location for redirects, and the body (the core keeps at most 10 KiB of it). */
export interface RawHttpResponse {
  status: number;
  location?: string | null;
  body?: string | Uint8Array;
}

/** Performs one request; throws (or rejects) on a transport error or timeout, which the core counts as Failure. */
export type HttpTransport = (req: HttpProbeRequest) => Promise<RawHttpResponse>;

export interface HttpProbeVerdict extends ProbeVerdict {
  /** Status of the final response, when there was one. */
  statusCode?: number;
  /** The body read (at most maxProbeOutputBytes). */
  body?: string;
}

const redirectCodes = new Set([301, 302, 303, 307, 308]);
const maxRedirects = 10;

/** Keeps at most 10 KiB of a body, silently, as upstream (utilio.ReadAtMost). */
export function capProbeBody(body: string | Uint8Array | undefined): string {
  if (body === undefined) return "";
  const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
  const kept = bytes.length > maxProbeOutputBytes ? bytes.subarray(0, maxProbeOutputBytes) : bytes;
  return new TextDecoder().decode(kept);
}

/**
 * Classifies a final HTTP response (probe/http DoHTTPProbe): 2xx Success; 3xx (a redirect not followed) Warning;
 * anything else Failure with "HTTP probe failed with statuscode: N" (the body never appears in that message).
 */
export function classifyHttpResponse(res: RawHttpResponse): HttpProbeVerdict {
  const body = capProbeBody(res.body);
  if (res.status >= 200 && res.status < 400) {
    if (res.status >= 300) {
      return {
        result: "Warning",
        output: `Probe terminated redirects, Response body: ${body}`,
        statusCode: res.status,
        body,
      };
    }
    return { result: "Success", output: body, statusCode: res.status, body };
  }
  return {
    result: "Failure",
    output: `HTTP probe failed with statuscode: ${res.status}`,
    statusCode: res.status,
    body,
  };
}

function hostnameOf(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, "");
}

/**
 * What to do with a redirect (probe/http RedirectChecker + Go's client): follow, stop and return the 3xx
 * (another hostname while followNonLocalRedirects is false), or fail after 10 redirects.
 * `via` = the URLs requested so far, first one first.
 */
export function redirectDecision(
  via: readonly string[],
  location: string,
  followNonLocalRedirects: boolean,
): { action: "follow"; url: string } | { action: "stop" } | { action: "fail"; error: string } {
  const first = new URL(via[0]!);
  let next: URL;
  try {
    next = new URL(location, via[via.length - 1]);
  } catch {
    return { action: "fail", error: `failed to parse Location header ${JSON.stringify(location)}` };
  }
  if (!followNonLocalRedirects && hostnameOf(next) !== hostnameOf(first)) return { action: "stop" };
  if (via.length >= maxRedirects) return { action: "fail", error: "stopped after 10 redirects" };
  return { action: "follow", url: next.href };
}

/**
 * Runs an HTTP probe with the daemon's one-shot `transport`: builds the GET, follows redirects as upstream does
 * (same hostname only unless followNonLocalRedirects; at most 10; the Host header kept only for relative
 * redirects), caps the body at 10 KiB and classifies the final response. Transport errors and timeouts → Failure.
 */
export async function runHttpProbe(
  action: HttpProbeAction,
  transport: HttpTransport,
  options: { followNonLocalRedirects?: boolean } = {},
): Promise<HttpProbeVerdict> {
  const follow = options.followNonLocalRedirects ?? false;
  const via: string[] = [];
  let url = action.url;
  let hostHeader = action.hostHeader;
  for (;;) {
    via.push(url);
    const req: HttpProbeRequest = {
      method: "GET",
      url,
      headers: action.headers,
      timeoutMs: action.timeoutMs,
      insecureSkipVerify: true,
    };
    if (hostHeader) req.hostHeader = hostHeader;
    let res: RawHttpResponse;
    try {
      res = await transport(req);
    } catch (e) {
      return { result: "Failure", output: `Get "${url}": ${e instanceof Error ? e.message : String(e)}` };
    }
    if (!redirectCodes.has(res.status) || !res.location) return classifyHttpResponse(res);
    const decision = redirectDecision(via, res.location, follow);
    if (decision.action === "stop") return classifyHttpResponse(res);
    if (decision.action === "fail") return { result: "Failure", output: `Get "${url}": ${decision.error}` };
    if (hostHeader && /^[a-z][a-z0-9+.-]*:/i.test(res.location)) hostHeader = undefined;
    url = decision.url;
  }
}
