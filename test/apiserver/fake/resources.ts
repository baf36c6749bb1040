/** The resources the in-test API server serves, as the real server describes them in discovery. */
export interface ResourceDef {
  group: string;
  versions: string[];
  resource: string;
  kind: string;
  namespaced: boolean;
  /** Subresources served (status, binding, approval). */
  subresources: string[];
  verbs: string[];
  /** Create-only review resources: answered, never stored. */
  review?: boolean;
  shortNames?: string[];
}

const crud = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

export const resourceDefs: ResourceDef[] = [
  {
    group: "",
    versions: ["v1"],
    resource: "namespaces",
    kind: "Namespace",
    namespaced: false,
    subresources: ["status"],
    verbs: crud,
  },
  {
    group: "",
    versions: ["v1"],
    resource: "nodes",
    kind: "Node",
    namespaced: false,
    subresources: ["status"],
    verbs: crud,
  },
  {
    group: "",
    versions: ["v1"],
    resource: "pods",
    kind: "Pod",
    namespaced: true,
    subresources: ["status", "binding", "log"],
    verbs: crud,
  },
  {
    group: "",
    versions: ["v1"],
    resource: "services",
    kind: "Service",
    namespaced: true,
    subresources: ["status"],
    verbs: crud,
  },
  {
    group: "",
    versions: ["v1"],
    resource: "endpoints",
    kind: "Endpoints",
    namespaced: true,
    subresources: [],
    verbs: crud,
  },
  {
    group: "",
    versions: ["v1"],
    resource: "configmaps",
    kind: "ConfigMap",
    namespaced: true,
    subresources: [],
    verbs: crud,
  },
  {
    group: "",
    versions: ["v1"],
    resource: "secrets",
    kind: "Secret",
    namespaced: true,
    subresources: [],
    verbs: crud,
  },
  {
    group: "",
    versions: ["v1"],
    resource: "events",
    kind: "Event",
    namespaced: true,
    subresources: [],
    verbs: crud,
  },
  {
    group: "",
    versions: ["v1"],
    resource: "bindings",
    kind: "Binding",
    namespaced: true,
    subresources: [],
    verbs: ["create"],
    review: true,
  },
  {
    group: "coordination.k8s.io",
    versions: ["v1"],
    resource: "leases",
    kind: "Lease",
    namespaced: true,
    subresources: [],
    verbs: crud,
  },
  {
    group: "discovery.k8s.io",
    versions: ["v1", "v1beta1"],
    resource: "endpointslices",
    kind: "EndpointSlice",
    namespaced: true,
    subresources: [],
    verbs: crud,
  },
  {
    group: "certificates.k8s.io",
    versions: ["v1"],
    resource: "certificatesigningrequests",
    kind: "CertificateSigningRequest",
    namespaced: false,
    subresources: ["status", "approval"],
    verbs: crud,
  },
  {
    group: "authentication.k8s.io",
    versions: ["v1"],
    resource: "tokenreviews",
    kind: "TokenReview",
    namespaced: false,
    subresources: [],
    verbs: ["create"],
    review: true,
  },
  {
    group: "authorization.k8s.io",
    versions: ["v1"],
    resource: "subjectaccessreviews",
    kind: "SubjectAccessReview",
    namespaced: false,
    subresources: [],
    verbs: ["create"],
    review: true,
  },
];

/** Which group versions a given Kubernetes minor release serves (for the resources above). */
export function servedGroupVersions(minor: number): Set<string> {
  const served = new Set([
    "v1",
    "coordination.k8s.io/v1",
    "certificates.k8s.io/v1",
    "authentication.k8s.io/v1",
    "authorization.k8s.io/v1",
  ]);
  if (minor >= 17 && minor <= 24) served.add("discovery.k8s.io/v1beta1");
  if (minor >= 21) served.add("discovery.k8s.io/v1");
  return served;
}

export function groupVersion(group: string, version: string): string {
  return group === "" ? version : `${group}/${version}`;
}
