/**
 * ServicePortInfo: one port of one Service, normalised for the proxier's IP family
 * (upstream pkg/proxy/service.go BaseServicePortInfo).
 */
import type { Service } from "../api/mod.ts";
import { canonicalIP, type IPFamily, parseCIDR, parseIP } from "./ip.ts";

export interface ServicePortInfo {
  namespace: string;
  name: string;
  /** `ns/name` */
  serviceKey: string;
  portName: string;
  /** `ns/name:portName` (or `ns/name` when the port has no name) — upstream ServicePortName.String(). */
  spn: string;
  /** `TCP` | `UDP` | `SCTP` */
  protocol: string;
  clusterIP: string;
  port: number;
  nodePort: number;
  targetPort: number | string | undefined;
  externalIPs: string[];
  /** LB ingress IPs (ipMode Proxy excluded), canonical. */
  loadBalancerVIPs: string[];
  loadBalancerSourceRanges: string[];
  /** Source ranges as given, parsed; true if any range was set (even if invalid). */
  hasSourceRanges: boolean;
  sessionAffinityClientIP: boolean;
  stickyMaxAgeSeconds: number;
  externalPolicyLocal: boolean;
  internalPolicyLocal: boolean;
  healthCheckNodePort: number;
  /** Service type NodePort / LoadBalancer. */
  type: string;
}

export const defaultStickyMaxAgeSeconds = 10800;

/** The port name key of a ServicePortName. */
export function servicePortNameString(namespace: string, name: string, portName: string): string {
  return portName ? `${namespace}/${name}:${portName}` : `${namespace}/${name}`;
}

function externallyAccessible(svc: Service): boolean {
  const t = svc.spec.type ?? "ClusterIP";
  return (
    t === "LoadBalancer" || t === "NodePort" || (t === "ClusterIP" && (svc.spec.externalIPs?.length ?? 0) > 0)
  );
}

/** The proxier's clusterIP of a Service for `family`, or undefined (headless, other family, invalid). */
export function serviceClusterIP(svc: Service, family: IPFamily): string | undefined {
  const candidates = svc.spec.clusterIPs?.length ? svc.spec.clusterIPs : [svc.spec.clusterIP ?? ""];
  for (const c of candidates) {
    if (c === "None" || c === "") continue;
    const ip = canonicalIP(c, family);
    if (ip) return ip;
  }
  return undefined;
}

/**
 * Builds the ServicePortInfos of a Service for one family. Services without a usable
 * ClusterIP of this family, ExternalName services and ports without a valid port are skipped
 * (upstream logs and ignores them).
 */
export function servicePortsOf(svc: Service, family: IPFamily, ipModeGate = true): ServicePortInfo[] {
  const namespace = svc.metadata.namespace ?? "default";
  const name = svc.metadata.name ?? "";
  if (!name) return [];
  const spec = svc.spec ?? {};
  if (spec.type === "ExternalName") return [];
  const clusterIP = serviceClusterIP(svc, family);
  if (!clusterIP) return [];
  const type = spec.type ?? "ClusterIP";
  const sticky = spec.sessionAffinity === "ClientIP";
  const timeout = spec.sessionAffinityConfig?.clientIP?.timeoutSeconds;
  const externalIPs = uniq((spec.externalIPs ?? []).map((s) => canonicalIP(s, family)));
  const loadBalancerVIPs: string[] = [];
  if (type === "LoadBalancer") {
    for (const ing of svc.status?.loadBalancer?.ingress ?? []) {
      if (ipModeGate && ing.ipMode === "Proxy") continue;
      const ip = canonicalIP(ing.ip, family);
      if (ip && !loadBalancerVIPs.includes(ip)) loadBalancerVIPs.push(ip);
    }
  }
  const rawRanges = type === "LoadBalancer" ? (spec.loadBalancerSourceRanges ?? []) : [];
  const sourceRanges: string[] = [];
  for (const r of rawRanges) {
    const c = parseCIDR(typeof r === "string" ? r.trim() : undefined);
    if (c && c.family === family && !sourceRanges.includes(c.text)) sourceRanges.push(c.text);
  }
  const externalPolicyLocal = externallyAccessible(svc) && spec.externalTrafficPolicy === "Local";
  const needsHealthCheck = type === "LoadBalancer" && spec.externalTrafficPolicy === "Local";
  const out: ServicePortInfo[] = [];
  for (const p of spec.ports ?? []) {
    const port =
      typeof p.port === "number" && Number.isInteger(p.port) && p.port > 0 && p.port < 65536 ? p.port : 0;
    const portName = p.name ?? "";
    const protocol = p.protocol ?? "TCP";
    if (protocol !== "TCP" && protocol !== "UDP" && protocol !== "SCTP") continue;
    const nodePort =
      typeof p.nodePort === "number" && Number.isInteger(p.nodePort) && p.nodePort > 0 && p.nodePort < 65536
        ? p.nodePort
        : 0;
    out.push({
      namespace,
      name,
      serviceKey: `${namespace}/${name}`,
      portName,
      spn: servicePortNameString(namespace, name, portName),
      protocol,
      clusterIP,
      port,
      nodePort,
      targetPort: p.targetPort,
      externalIPs,
      loadBalancerVIPs,
      loadBalancerSourceRanges: sourceRanges,
      hasSourceRanges: rawRanges.length > 0,
      sessionAffinityClientIP: sticky,
      stickyMaxAgeSeconds: sticky ? (timeout ?? defaultStickyMaxAgeSeconds) : 0,
      externalPolicyLocal,
      internalPolicyLocal: spec.internalTrafficPolicy === "Local",
      healthCheckNodePort:
        needsHealthCheck && typeof spec.healthCheckNodePort === "number" ? spec.healthCheckNodePort : 0,
      type,
    });
  }
  return out;
}

function uniq(values: (string | undefined)[]): string[] {
  const out: string[] = [];
  for (const v of values) if (v !== undefined && !out.includes(v)) out.push(v);
  return out;
}

/** True when two infos would render identically (used to drop no-op changes). */
export function samePortInfo(a: ServicePortInfo, b: ServicePortInfo): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Is this string a valid IP of the family? (exported for validation helpers) */
export function isIPOfFamily(s: string, family: IPFamily): boolean {
  return parseIP(s)?.family === family;
}
