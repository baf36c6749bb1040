/** Minimal shape checks for objects reaching the proxy: bad shapes fail with the field named; bad values inside are skipped later, as upstream does. */
import type { EndpointSlice, Service } from "../api/mod.ts";
import { invalidArgument } from "../errors/mod.ts";

export function validateService(svc: Service): void {
  if (!svc || typeof svc !== "object") throw invalidArgument("object", "Service must be an object");
  if (!svc.metadata || typeof svc.metadata.name !== "string" || svc.metadata.name === "")
    throw invalidArgument("metadata.name", "Service needs a name");
  if (!svc.spec || typeof svc.spec !== "object") throw invalidArgument("spec", "Service needs a spec");
  if (svc.spec.ports !== undefined && svc.spec.ports !== null && !Array.isArray(svc.spec.ports))
    throw invalidArgument("spec.ports", "must be a list");
}

export function validateEndpointSlice(slice: EndpointSlice): void {
  if (!slice || typeof slice !== "object") throw invalidArgument("object", "EndpointSlice must be an object");
  if (!slice.metadata || typeof slice.metadata.name !== "string" || slice.metadata.name === "")
    throw invalidArgument("metadata.name", "EndpointSlice needs a name");
  if (slice.endpoints !== undefined && slice.endpoints !== null && !Array.isArray(slice.endpoints))
    throw invalidArgument("endpoints", "must be a list");
  if (slice.ports !== undefined && slice.ports !== null && !Array.isArray(slice.ports))
    throw invalidArgument("ports", "must be a list");
}
