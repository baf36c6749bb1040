/** kite's API-server side: the client layer and the cluster behaviours of kite node, proxy and extender. */
export { ApiError, isAlreadyExists, isConflict, isGone, isNotFound, isRetriable } from "./api-error.ts";
export { ApiPodSource, configSourceAnnotation, isMirrorPod, mirrorAnnotation } from "./api-pod-source.ts";
export { apiVolumePlugins } from "./api-volumes.ts";
export { writeVolumeAtomically } from "./atomic-writer.ts";
export { Backoff, sleep } from "./backoff.ts";
export { ClusterNode, type ClusterNodeOptions } from "./cluster-node.ts";
export { connectNode, extenderCluster, type NodeConnection, proxyObjectSource } from "./cluster-wiring.ts";
export { createCsr, generateNodeKey } from "./csr.ts";
export { chooseEndpointsApi, discoverServer, type EndpointsApi, type ServerApis } from "./discovery.ts";
export { sliceFromV1beta1, slicesFromEndpoints } from "./endpoints-conversion.ts";
export { recordEvent } from "./events.ts";
export { type ExtenderCacheOptions, ExtenderClusterCache } from "./extender-cache.ts";
export { type HostNodeOptions, hostNodeConfig } from "./host-node.ts";
export { Informer, type InformerHandlers, type InformerOptions } from "./informer.ts";
export { KubeClient, loadKubeConfig, type WatchEvent } from "./kube-client.ts";
export { configHashAnnotation, MirrorPodManager, mirrorPodFor } from "./mirror-pods.ts";
export {
  type AuthenticatedUser,
  type NodeAuthOptions,
  nodeAuth,
  requestAttributes,
  verifyClientCert,
} from "./node-auth.ts";
export {
  type ClusterModeFlags,
  clusterModeRequested,
  clusterNodeFlags,
  type PreparedClusterNode,
  prepareClusterNode,
} from "./node-cluster-mode.ts";
export { evictionReservation, parseNodeLabels, parseReserved, parseTaints } from "./node-flags.ts";
export { leaseNamespace, microTime, NodeLease } from "./node-lease.ts";
export {
  computeAllocatable,
  initialNode,
  type NodeConfig,
  type NodeHealth,
  nodeConditions,
  pressureTaints,
  reconcilePressureTaints,
} from "./node-object.ts";
export { registerNode, registerWithApiServer } from "./node-registration.ts";
export { NodeStatusReporter } from "./node-status.ts";
export { createPodBinder, type PodBinder } from "./pod-binder.ts";
export { evictedStatus, type PodRef, PodStatusWriter, refOf } from "./pod-status-writer.ts";
export { ApiObjectSource, type ApiObjectSourceOptions, proxyLabelSelector } from "./proxy-source.ts";
export { TokenBucket } from "./rate-limiter.ts";
export { retryOnConflict } from "./retry-on-conflict.ts";
export {
  ClientCertRotator,
  type ClientCredentials,
  kubeletClientSigner,
  loadOrBootstrapClientCert,
  requestNodeCertificate,
  rotationDeadline,
} from "./tls-bootstrap.ts";
export { type VolumeFile, volumeFiles } from "./volume-source.ts";
