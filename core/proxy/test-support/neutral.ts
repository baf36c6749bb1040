/** Converts the fixtures' neutral Service/EndpointSlice form into API objects (core/api shapes). */
import type { EndpointSlice, Service } from "../../api/mod.ts";
import type { ProxierConfig, ProxyEvent } from "../mod.ts";

// biome-ignore lint/suspicious/noExplicitAny: fixture JSON
type Any = any;

export function toService(o: Any): Service {
  const spec: Service["spec"] = {
    clusterIP: o.clusterIP ?? undefined,
    ports: (o.ports ?? []).map((p: Any) => ({
      name: p.name ?? undefined,
      protocol: p.protocol ?? undefined,
      port: p.port ?? 0,
      ...(p.nodePort != null ? { nodePort: p.nodePort } : {}),
      ...(p.targetPort != null ? { targetPort: p.targetPort } : {}),
    })),
  };
  if (o.type) spec.type = o.type;
  if (o.externalTrafficPolicy) spec.externalTrafficPolicy = o.externalTrafficPolicy;
  if (o.internalTrafficPolicy) spec.internalTrafficPolicy = o.internalTrafficPolicy;
  if (o.sessionAffinity) spec.sessionAffinity = o.sessionAffinity;
  if (o.sessionAffinityTimeoutSeconds != null)
    spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: o.sessionAffinityTimeoutSeconds } };
  if (o.externalIPs?.length) spec.externalIPs = o.externalIPs;
  if (o.loadBalancerIP) spec.loadBalancerIP = o.loadBalancerIP;
  if (o.loadBalancerSourceRanges?.length) spec.loadBalancerSourceRanges = o.loadBalancerSourceRanges;
  if (o.healthCheckNodePort != null) spec.healthCheckNodePort = o.healthCheckNodePort;
  if (o.clusterIPs) spec.clusterIPs = o.clusterIPs;
  if (o.ipFamilies) spec.ipFamilies = o.ipFamilies;
  const svc: Service = { kind: "Service", metadata: { namespace: o.namespace, name: o.name }, spec };
  if (o.loadBalancerIngress?.length) svc.status = { loadBalancer: { ingress: o.loadBalancerIngress } };
  return svc;
}

export function toSlice(o: Any): EndpointSlice {
  return {
    kind: "EndpointSlice",
    metadata: {
      namespace: o.namespace,
      name: o.name,
      labels: { "kubernetes.io/service-name": o.serviceName },
    },
    addressType: o.addressType ?? "IPv4",
    ports: (o.ports ?? []).map((p: Any) => ({
      name: p.name ?? undefined,
      port: p.port ?? null,
      protocol: p.protocol ?? undefined,
    })),
    endpoints: (o.endpoints ?? []).map((e: Any) => ({
      addresses: e.addresses,
      conditions: {
        ready: e.conditions?.ready ?? null,
        serving: e.conditions?.serving ?? null,
        terminating: e.conditions?.terminating ?? null,
      },
      ...(e.nodeName ? { nodeName: e.nodeName } : {}),
      ...(e.zone ? { zone: e.zone } : {}),
    })),
  };
}

export function toEvent(c: Any): ProxyEvent | undefined {
  if (c.kind === "Service") return { kind: "Service", op: c.op, object: toService(c.object) };
  if (c.kind === "EndpointSlice") return { kind: "EndpointSlice", op: c.op, object: toSlice(c.object) };
  return undefined;
}

/** Fixture proxierConfig (+ overrides) → ProxierConfig. */
export function toConfig(mode: ProxierConfig["mode"], pc: Any): ProxierConfig {
  const detector: string = pc.localTrafficDetector ?? "";
  const nodeIPs: string[] = pc.nodeIPs ?? (pc.nodeIP ? [pc.nodeIP] : []);
  const cfg: ProxierConfig = {
    mode,
    ipFamily: pc.ipFamily ?? "IPv4",
    hostname: pc.nodeName ?? "test-node",
    nodeIPs,
    clusterCIDR: detector.startsWith("cidr:") ? detector.slice(5) : null,
    masqueradeAll: !!pc.masqueradeAll,
    nodePortAddresses: pc.nodePortAddresses ?? null,
    networkInterfaces: pc.networkInterfaces ?? {},
    localhostNodePorts: pc.localhostNodePorts ?? true,
    conntrackTCPLiberal: !!pc.conntrackTCPLiberal,
    nfacctCounters: Object.entries(pc.nfacctCounters ?? {})
      .filter(([, v]) => v)
      .map(([k]) => k),
    iptablesRandomFully: !!pc.iptablesHasRandomFully,
    serviceCIDRs: pc.serviceCIDRs ? String(pc.serviceCIDRs).split(",") : [],
    partialSyncForm: "upstream",
  };
  if (pc.featureGates) cfg.featureGates = pc.featureGates;
  if (pc.largeClusterEndpointsThreshold != null)
    cfg.largeClusterEndpointsThreshold = pc.largeClusterEndpointsThreshold;
  if (pc.syncPeriod != null) cfg.syncPeriodMs = parseDuration(pc.syncPeriod);
  if (pc.scheduler) cfg.ipvs = { ...(cfg.ipvs ?? {}), scheduler: pc.scheduler };
  if (pc.excludeCIDRs) cfg.ipvs = { ...(cfg.ipvs ?? {}), excludeCIDRs: pc.excludeCIDRs };
  return cfg;
}

function parseDuration(v: unknown): number {
  if (typeof v === "number") return v;
  const m = /^([0-9.]+)(ms|s|m|h)$/.exec(String(v));
  if (!m) return 30_000;
  const n = Number(m[1]);
  return n * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as Record<string, number>)[m[2]!]!;
}
