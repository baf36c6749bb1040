/** discovery.k8s.io/v1 EndpointSlice, as the API server serves it. */
import type { ObjectReference, Protocol } from "./core.ts";
import type { ObjectMeta, TypeMeta } from "./meta.ts";

export interface EndpointConditions {
  ready?: boolean | null;
  serving?: boolean | null;
  terminating?: boolean | null;
}

export interface EndpointHints {
  forZones?: { name: string }[];
  forNodes?: { name: string }[];
}

export interface Endpoint {
  addresses: string[];
  conditions?: EndpointConditions;
  hostname?: string;
  targetRef?: ObjectReference;
  nodeName?: string;
  zone?: string;
  hints?: EndpointHints;
}

export interface EndpointSlicePort {
  name?: string | null;
  protocol?: Protocol | null;
  port?: number | null;
  appProtocol?: string;
}

export interface EndpointSlice extends TypeMeta {
  metadata: ObjectMeta;
  addressType: "IPv4" | "IPv6" | "FQDN";
  endpoints: Endpoint[] | null;
  ports?: EndpointSlicePort[] | null;
}

/** The label that ties an EndpointSlice to its Service. */
export const serviceNameLabel = "kubernetes.io/service-name";
