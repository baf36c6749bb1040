/**
 * Shape checks for objects reaching the proxy: a malformed structure fails with the field named
 * (nothing already known changes); bad values inside a well-formed object (an invalid IP, CIDR or port)
 * are skipped later, as upstream skips them.
 */
import type { EndpointSlice, Service } from "../api/mod.ts";
import { invalidArgument } from "../errors/mod.ts";

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function listOfObjects(v: unknown, field: string): void {
  if (v === undefined || v === null) return;
  if (!Array.isArray(v)) throw invalidArgument(field, "must be a list");
  v.forEach((x, i) => {
    if (!isObject(x)) throw invalidArgument(`${field}[${i}]`, "must be an object");
  });
}

function listOfStrings(v: unknown, field: string): void {
  if (v === undefined || v === null) return;
  if (!Array.isArray(v)) throw invalidArgument(field, "must be a list");
  v.forEach((x, i) => {
    if (typeof x !== "string") throw invalidArgument(`${field}[${i}]`, "must be a string");
  });
}

function optionalString(v: unknown, field: string): void {
  if (v !== undefined && v !== null && typeof v !== "string")
    throw invalidArgument(field, "must be a string");
}

function metadata(o: { metadata?: unknown }, kind: string): void {
  if (!isObject(o.metadata) || typeof o.metadata.name !== "string" || o.metadata.name === "")
    throw invalidArgument("metadata.name", `${kind} needs a name`);
  optionalString(o.metadata.namespace, "metadata.namespace");
  if (o.metadata.labels !== undefined && o.metadata.labels !== null && !isObject(o.metadata.labels))
    throw invalidArgument("metadata.labels", "must be a map");
}

export function validateService(svc: Service): void {
  if (!isObject(svc)) throw invalidArgument("object", "Service must be an object");
  metadata(svc, "Service");
  if (!isObject(svc.spec)) throw invalidArgument("spec", "Service needs a spec");
  const spec = svc.spec as Record<string, unknown>;
  listOfObjects(spec.ports, "spec.ports");
  listOfStrings(spec.externalIPs, "spec.externalIPs");
  listOfStrings(spec.clusterIPs, "spec.clusterIPs");
  listOfStrings(spec.loadBalancerSourceRanges, "spec.loadBalancerSourceRanges");
  for (const f of ["clusterIP", "type", "externalTrafficPolicy", "internalTrafficPolicy", "sessionAffinity"])
    optionalString(spec[f], `spec.${f}`);
  if (svc.status !== undefined && svc.status !== null) {
    if (!isObject(svc.status)) throw invalidArgument("status", "must be an object");
    const lb = (svc.status as Record<string, unknown>).loadBalancer;
    if (lb !== undefined && lb !== null) {
      if (!isObject(lb)) throw invalidArgument("status.loadBalancer", "must be an object");
      listOfObjects(lb.ingress, "status.loadBalancer.ingress");
    }
  }
}

export function validateEndpointSlice(slice: EndpointSlice): void {
  if (!isObject(slice)) throw invalidArgument("object", "EndpointSlice must be an object");
  metadata(slice, "EndpointSlice");
  listOfObjects(slice.ports, "ports");
  listOfObjects(slice.endpoints, "endpoints");
  (slice.endpoints ?? []).forEach((e, i) => {
    listOfStrings(e.addresses, `endpoints[${i}].addresses`);
    if (e.conditions !== undefined && e.conditions !== null && !isObject(e.conditions))
      throw invalidArgument(`endpoints[${i}].conditions`, "must be an object");
    optionalString(e.nodeName, `endpoints[${i}].nodeName`);
  });
}
