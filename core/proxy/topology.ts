/**
 * CategorizeEndpoints (upstream pkg/proxy/topology.go): which endpoints serve cluster
 * traffic and which serve local-policy traffic. Topology hints are not applied (see docs).
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

export function categorizeEndpoints(endpoints: EndpointInfo[], svc: ServicePortInfo): CategorizedEndpoints {
  let clusterEndpoints: EndpointInfo[] = [];
  let localEndpoints: EndpointInfo[] = [];
  if (usesClusterEndpoints(svc)) {
    clusterEndpoints = endpoints.filter((e) => e.ready);
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
