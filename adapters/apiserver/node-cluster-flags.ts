/**
 * The cluster-mode flags of `kite node`, apart from the cluster code itself, so that a node running
 * static pods alone never loads the API-server client.
 */

/** The kubelet flags of cluster mode (kubelet names). */
export const clusterNodeFlags = {
  kubeconfig: { type: "string" },
  "bootstrap-kubeconfig": { type: "string" },
  "node-labels": { type: "string" },
  "register-with-taints": { type: "string" },
  "kube-reserved": { type: "string" },
  "system-reserved": { type: "string" },
  "authentication-token-webhook": { type: "boolean" },
  "authorization-mode": { type: "string" },
} as const;

export interface ClusterModeFlags {
  kubeconfig?: string;
  "bootstrap-kubeconfig"?: string;
  "node-labels"?: string;
  "register-with-taints"?: string;
  "kube-reserved"?: string;
  "system-reserved"?: string;
  "authentication-token-webhook"?: boolean;
  "authorization-mode"?: string;
}

export const clusterModeRequested = (f: ClusterModeFlags): boolean =>
  !!(f.kubeconfig || f["bootstrap-kubeconfig"]);
