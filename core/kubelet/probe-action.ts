import type { Container, Probe } from "../api/mod.ts";
import { invalidArgument } from "../errors/mod.ts";
import type { ProbeType } from "./probe-result.ts";

/** The kubelet's User-Agent for probes: kube-probe/<major>.<minor>. */
export const defaultProbeUserAgent = "kube-probe/1.35";

export interface HttpProbeAction {
  kind: "http";
  scheme: "http" | "https";
  host: string;
  port: number;
  /** Path with query, always starting with "/". */
  path: string;
  /** scheme://host:port/path (IPv6 hosts bracketed). */
  url: string;
  /** Request headers in order, names canonicalised; no User-Agent when the user set it empty. */
  headers: [string, string][];
  /** The Host header value when the user set one (sent as the request Host). */
  hostHeader?: string;
  timeoutMs: number;
}
export interface TcpProbeAction {
  kind: "tcp";
  host: string;
  port: number;
  timeoutMs: number;
}
export interface ExecProbeAction {
  kind: "exec";
  command: string[];
  timeoutMs: number;
}
export interface GrpcProbeAction {
  kind: "grpc";
  host: string;
  port: number;
  /** grpc.health.v1 service name ("" = the server as a whole). */
  service: string;
  timeoutMs: number;
}
/** What the daemon must call for one probe. */
export type ProbeAction = HttpProbeAction | TcpProbeAction | ExecProbeAction | GrpcProbeAction;

/** A probe with upstream API defaults applied (timeout 1 s, period 10 s, thresholds 1 and 3). */
export interface ProbeTiming {
  initialDelaySeconds: number;
  timeoutSeconds: number;
  periodSeconds: number;
  successThreshold: number;
  failureThreshold: number;
}

/** Applies the API defaults; success threshold is forced to 1 for liveness and startup, as validation requires. */
export function probeTiming(probe: Probe, probeType: ProbeType): ProbeTiming {
  const pos = (v: number | undefined, d: number) => (v === undefined || v <= 0 ? d : v);
  return {
    initialDelaySeconds: Math.max(0, probe.initialDelaySeconds ?? 0),
    timeoutSeconds: pos(probe.timeoutSeconds, 1),
    periodSeconds: pos(probe.periodSeconds, 10),
    successThreshold: probeType === "readiness" ? pos(probe.successThreshold, 1) : 1,
    failureThreshold: pos(probe.failureThreshold, 3),
  };
}

/** Resolves a port number or a container port name (probe.ResolveContainerPort). */
export function resolveContainerPort(
  port: number | string,
  container: Pick<Container, "ports">,
  field: string,
): number {
  let n: number;
  if (typeof port === "number") n = port;
  else if (/^\d+$/.test(port)) n = Number(port);
  else {
    const found = container.ports?.find((p) => p.name === port);
    if (!found) throw invalidArgument(field, `couldn't find port: ${port} in container ports`);
    n = found.containerPort;
  }
  if (!Number.isInteger(n) || n <= 0 || n > 65535)
    throw invalidArgument(field, `invalid port number: ${port}`);
  return n;
}

/** Canonical MIME header key, as Go's http.Header does ("x-foo-bar" → "X-Foo-Bar"). */
export function canonicalHeaderKey(name: string): string {
  if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) return name;
  return name
    .split("-")
    .map((w) => (w ? w[0]!.toUpperCase() + w.slice(1).toLowerCase() : w))
    .join("-");
}

/**
 * The request headers of an HTTP probe (probe/http NewProbeRequest): the user's headers in order, plus
 * `User-Agent: kube-probe/x.y` and `Accept: *\/*` unless the user set them; an empty User-Agent or Accept drops
 * that header. Returns the headers and the Host header value, if any.
 */
export function httpProbeHeaders(
  userHeaders: readonly { name: string; value: string }[],
  userAgent = defaultProbeUserAgent,
): { headers: [string, string][]; hostHeader?: string } {
  const headers: [string, string][] = userHeaders.map((h) => [canonicalHeaderKey(h.name), h.value]);
  const has = (n: string) => headers.some(([k]) => k === n);
  if (!has("User-Agent")) headers.push(["User-Agent", userAgent]);
  if (!has("Accept")) headers.push(["Accept", "*/*"]);
  const host = headers.find(([k]) => k === "Host")?.[1];
  const firstNonEmpty = (n: string) => headers.find(([k]) => k === n)?.[1] !== "";
  const out = headers.filter(
    ([k]) => k !== "Host" && !((k === "User-Agent" || k === "Accept") && !firstNonEmpty(k)),
  );
  return host ? { headers: out, hostHeader: host } : { headers: out };
}

function joinHostPort(host: string, port: number): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * What to call for a probe of `container` in a pod with IP `podIP` (prober.runProbe): HTTP GET to
 * host (default the pod IP):port/path, TCP connect, exec of the command, or gRPC Health/Check on the pod IP.
 * @throws KiteError for a probe with no handler or an unresolvable port.
 */
export function resolveProbeAction(
  probe: Probe,
  container: Pick<Container, "ports" | "name">,
  podIP: string,
  options: { probeType?: ProbeType; userAgent?: string } = {},
): ProbeAction {
  const timing = probeTiming(probe, options.probeType ?? "readiness");
  const timeoutMs = timing.timeoutSeconds * 1000;
  const field = `containers[${container.name}].${options.probeType ?? "readiness"}Probe`;
  if (probe.exec) return { kind: "exec", command: [...(probe.exec.command ?? [])], timeoutMs };
  if (probe.httpGet) {
    const g = probe.httpGet;
    const scheme = (g.scheme ?? "HTTP").toLowerCase() === "https" ? "https" : "http";
    const host = g.host || podIP;
    const port = resolveContainerPort(g.port, container, `${field}.httpGet.port`);
    let path = g.path ?? "";
    if (!path.startsWith("/")) path = `/${path}`;
    const { headers, hostHeader } = httpProbeHeaders(g.httpHeaders ?? [], options.userAgent);
    const action: HttpProbeAction = {
      kind: "http",
      scheme,
      host,
      port,
      path,
      url: `${scheme}://${joinHostPort(host, port)}${path}`,
      headers,
      timeoutMs,
    };
    if (hostHeader) action.hostHeader = hostHeader;
    return action;
  }
  if (probe.tcpSocket) {
    const port = resolveContainerPort(probe.tcpSocket.port, container, `${field}.tcpSocket.port`);
    return { kind: "tcp", host: probe.tcpSocket.host || podIP, port, timeoutMs };
  }
  if (probe.grpc) {
    const port = resolveContainerPort(probe.grpc.port, container, `${field}.grpc.port`);
    return { kind: "grpc", host: podIP, port, service: probe.grpc.service ?? "", timeoutMs };
  }
  throw invalidArgument(field, "missing probe handler: one of exec, httpGet, tcpSocket or grpc is required");
}
