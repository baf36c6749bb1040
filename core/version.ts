/** The kite release, shown by `kite version` and reported to the runtime and API server. */
export const kiteVersion = "0.1.0";
/** The Kubernetes minor version whose behaviour kite matches. */
export const kubernetesVersion = "v1.35.0";
