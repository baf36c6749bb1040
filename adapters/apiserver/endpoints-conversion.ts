/**
 * Older API servers: EndpointSlice discovery.k8s.io/v1beta1 (topology map instead of nodeName/zone)
 * and core/v1 Endpoints (subsets), both turned into discovery/v1 EndpointSlices for the proxy.
 */
import type { Endpoint, EndpointSlice, Endpoints } from "../../core/api/mod.ts";
import { serviceNameLabel } from "../../core/api/mod.ts";

type BetaEndpoint = Endpoint & { topology?: Record<string, string> };

export function sliceFromV1beta1(beta: EndpointSlice): EndpointSlice {
  const slice = structuredClone(beta);
  slice.apiVersion = "discovery.k8s.io/v1";
  slice.endpoints = (beta.endpoints ?? []).map((e) => {
    const { topology, ...rest } = e as BetaEndpoint;
    const out = { ...rest } as BetaEndpoint;
    const host = topology?.["kubernetes.io/hostname"];
    const zone = topology?.["topology.kubernetes.io/zone"];
    if (host && !out.nodeName) out.nodeName = host;
    if (zone && !out.zone) out.zone = zone;
    return out;
  });
  return slice;
}

/** One EndpointSlice per subset, named `<endpoints>-<i>`, labelled with the service name. */
export function slicesFromEndpoints(ep: Endpoints): EndpointSlice[] {
  const name = ep.metadata.name ?? "";
  return (ep.subsets ?? []).map((subset, i) => {
    const addrs = [
      ...(subset.addresses ?? []).map((a) => ({ a, ready: true })),
      ...(subset.notReadyAddresses ?? []).map((a) => ({ a, ready: false })),
    ];
    const v6 = addrs.some(({ a }) => a.ip.includes(":"));
    return {
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: {
        name: `${name}-${i}`,
        namespace: ep.metadata.namespace ?? "default",
        labels: {
          [serviceNameLabel]: name,
          "endpointslice.kubernetes.io/managed-by": "kite.endpoints-mirror",
        },
        ...(ep.metadata.resourceVersion ? { resourceVersion: ep.metadata.resourceVersion } : {}),
      },
      addressType: v6 ? "IPv6" : "IPv4",
      endpoints: addrs.map(({ a, ready }) => ({
        addresses: [a.ip],
        conditions: { ready, serving: ready, terminating: false },
        ...(a.nodeName ? { nodeName: a.nodeName } : {}),
        ...(a.hostname ? { hostname: a.hostname } : {}),
        ...(a.targetRef ? { targetRef: a.targetRef } : {}),
      })),
      ports: (subset.ports ?? []).map((p) => ({
        ...(p.name !== undefined ? { name: p.name } : {}),
        port: p.port,
        protocol: p.protocol ?? "TCP",
        ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}),
      })),
    } as EndpointSlice;
  });
}
