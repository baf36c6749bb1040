/**
 * CategorizeEndpoints (upstream pkg/proxy/topology.go): which endpoints serve cluster
 * traffic and which serve local-policy traffic, honouring topology hints (zone, and node
 * hints from PreferSameTrafficDistribution) when every ready endpoint carries them.
 */
import type { EndpointInfo } from "./endpoint.ts";
import type { ServicePortInfo } from "./service-port.ts";

export interface CategorizedEndpoints {
  clusterEndpoints: EndpointInfo[];
  localEndpoints: EndpointInfo[];
  allReachableEndpoints: EndpointInfo[];
  hasAnyEndpoints: boolean;
}

export function usesClusterEndpoints(svc: ServicePortInfo): boolean {
  return !svc.internalPolicyLocal || (externallyAccessible(svc) && !svc.externalPolicyLocal);
}

export function usesLocalEndpoints(svc: ServicePortInfo): boolean {
  return svc.internalPolicyLocal || (svc.externalPolicyLocal && externallyAccessible(svc));
}

export function externallyAccessible(svc: ServicePortInfo): boolean {
  return svc.nodePort > 0 || svc.externalIPs.length > 0 || svc.loadBalancerVIPs.length > 0;
}

/** Where the node is: its name and its `topology.kubernetes.io/zone` label. */
export interface NodeTopology {
  nodeName: string;
  zone: string;
}

/** Upstream topologyModeFromHints: "" (no filtering), "hostname" or "zone". */
export function topologyModeFromHints(
  endpoints: EndpointInfo[],
  topo: NodeTopology | undefined,
): "" | "hostname" | "zone" {
  if (!topo) return "";
  let hasReady = false;
  let allNodeHints = true;
  let hasForNode = false;
  let allZoneHints = true;
  let hasForZone = false;
  for (const e of endpoints) {
    if (!e.ready) continue;
    hasReady = true;
    if (e.nodeHints.length === 0) allNodeHints = false;
    else if (e.nodeHints.includes(topo.nodeName)) hasForNode = true;
    if (e.zoneHints.length === 0) allZoneHints = false;
    else if (topo.zone && e.zoneHints.includes(topo.zone)) hasForZone = true;
  }
  if (!hasReady) return "";
  if (allNodeHints && hasForNode) return "hostname";
  if (allZoneHints && hasForZone) return "zone";
  return "";
}

export function categorizeEndpoints(
  endpoints: EndpointInfo[],
  svc: ServicePortInfo,
  topo?: NodeTopology,
): CategorizedEndpoints {
  let clusterEndpoints: EndpointInfo[] = [];
  let localEndpoints: EndpointInfo[] = [];
  if (usesClusterEndpoints(svc)) {
    const mode = topologyModeFromHints(endpoints, topo);
    clusterEndpoints = endpoints.filter(
      (e) =>
        e.ready &&
        (mode === "" ||
          (mode === "hostname" ? e.nodeHints.includes(topo!.nodeName) : e.zoneHints.includes(topo!.zone))),
    );
    if (clusterEndpoints.length === 0) clusterEndpoints = endpoints.filter((e) => e.serving && e.terminating);
  }
  let hasAnyEndpoints = clusterEndpoints.length > 0;
  if (!usesLocalEndpoints(svc)) {
    return { clusterEndpoints, localEndpoints, allReachableEndpoints: clusterEndpoints, hasAnyEndpoints };
  }
  localEndpoints = endpoints.filter((e) => e.isLocal && e.ready);
  if (localEndpoints.length === 0)
    localEndpoints = endpoints.filter((e) => e.isLocal && e.serving && e.terminating);
  if (!hasAnyEndpoints) hasAnyEndpoints = endpoints.some((e) => e.ready || (e.serving && e.terminating));
  const all = new Map<string, EndpointInfo>();
  for (const e of clusterEndpoints) all.set(e.endpoint, e);
  for (const e of localEndpoints) all.set(e.endpoint, e);
  const allReachableEndpoints = [...all.values()].sort((a, b) =>
    a.endpoint < b.endpoint ? -1 : a.endpoint > b.endpoint ? 1 : 0,
  );
  return { clusterEndpoints, localEndpoints, allReachableEndpoints, hasAnyEndpoints };
}
