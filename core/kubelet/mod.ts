/**
 * Kubelet policy: the decisions of the kubelet's managers as pure functions and small state machines.
 * No I/O and no clock: every time is passed in as `now` (ms since the epoch). The node daemon feeds real data in
 * and carries out what comes back. Documented in docs/kubelet-policy.md.
 */

// Durations
export { formatDuration, parseDuration } from "../duration/mod.ts";
// Container GC
export {
  type ContainerGCInput,
  type ContainerGCPlan,
  type ContainerGCPolicy,
  containerGCPeriodMs,
  defaultContainerGCPolicy,
  type GCContainer,
  type GCSandbox,
  planContainerGC,
} from "./container-gc.ts";
export {
  type ContainerStartCause,
  containerWaitingState,
  isWaitingErrorReason,
  TerminatedReason,
  terminatedReason,
  WaitingReason,
  type WaitingReasonName,
} from "./container-waiting-reason.ts";
// Restart back-off and container states
export {
  Backoff,
  backOffKey,
  type ContainerBackOffDecision,
  containerBackOff,
  containerBackOffPeriodMs,
  formatPod,
  imageBackOffPeriodMs,
  maxContainerBackOffMs,
  maxImageBackOffMs,
} from "./crash-loop-backoff.ts";
// Eviction ranking
export {
  type CmpFunc,
  cmpBool,
  type DiskResource,
  disk,
  exceedDiskRequests,
  exceedMemoryRequests,
  type FsStatsType,
  isLocalVolume,
  memory,
  orderedBy,
  type PodStatsFunc,
  podDiskUsage,
  podMemoryUsage,
  priority,
  process,
} from "./eviction-comparators.ts";
// Eviction
export {
  addAllocatableThresholds,
  defaultEvictionHard,
  defaultPressureTransitionPeriodMs,
  type EvictionConfig,
  type EvictionFlags,
  type EvictionKubeletConfiguration,
  evictionConfigFieldNames,
  evictionConfigFromFlags,
  evictionConfigFromKubeletConfiguration,
  evictionFlagNames,
  evictionMonitoringPeriodMs,
  parsePercentage,
  parseSignalMapFlag,
  parseThresholdConfig,
  type ThresholdFieldNames,
} from "./eviction-config.ts";
// Eviction manager, node conditions, admission
export {
  EvictionManager,
  type EvictionManagerOptions,
  type EvictionStep,
  evictedPodStatus,
  evictionReason,
  type ImageFsLayout,
  type PodEviction,
  type ReclaimFunc,
  type SynchronizeInput,
  updateContainerFsThresholds,
} from "./eviction-manager.ts";
export {
  nodePressureConditions,
  nodePressureTaints,
  podToleratesTaint,
  tolerationToleratesTaint,
} from "./eviction-node-conditions.ts";
export {
  type ContainerStatsSummary,
  type FsStats,
  fsStatsFromStatfs,
  type MemoryStats,
  makeSignalObservations,
  memoryStatsFromCgroup,
  memoryStatsFromMeminfo,
  type NodeStatsSummary,
  type PodStatsSummary,
  type SignalObservation,
  type SignalObservations,
  type StatfsResult,
  type StatsSummary,
  type VolumeStatsSummary,
} from "./eviction-observations.ts";
export { rankByKeysWasm } from "./eviction-rank-wasm.ts";
export {
  type EvictionSignal,
  evictionSignals,
  isEvictionSignal,
  type NodeConditionType,
  nodeConditionTaint,
  signalToNodeCondition,
  signalToResource,
  userEvictionSignals,
} from "./eviction-signals.ts";
export {
  isHardThreshold,
  sameThreshold,
  type Threshold,
  type ThresholdValue,
  thresholdKey,
  thresholdQuantity,
} from "./eviction-threshold.ts";
export {
  mergeThresholds,
  type NodeConditionsObservedAt,
  nodeConditions,
  nodeConditionsLastObservedAt,
  nodeConditionsObservedSince,
  sortByEvictionPriority,
  type ThresholdsObservedAt,
  thresholdsFirstObservedAt,
  thresholdsMet,
  thresholdsMetGracePeriod,
} from "./eviction-thresholds.ts";
// Image GC
export {
  defaultImageGCPolicy,
  type FreeSpaceResult,
  type GarbageCollectResult,
  goZeroTime,
  ImageGCManager,
  type ImageGCPolicy,
  type ImageGCRuntime,
  type ImageRecord,
  imageGCPeriodMs,
  type RuntimeImage,
  validateImageGCPolicy,
} from "./image-gc.ts";
// Image pulls
export {
  defaultImagePullPolicy,
  ensureImageExists,
  type ImagePullDecision,
  type ImagePullPolicy,
  imageBackOffKey,
  imagePullFailed,
  shouldPullImage,
} from "./image-pull.ts";
export {
  besteffortOOMScoreAdj,
  getContainerOOMScoreAdjust,
  guaranteedOOMScoreAdj,
  kubeletOOMScoreAdj,
  kubeProxyOOMScoreAdj,
  podOOMScoreAdjust,
} from "./oom-score-adj.ts";
export {
  type ConditionContainerStatus,
  type ConditionPodSpec,
  ContainersNotInitialized,
  ContainersNotReady,
  containersReady,
  type GeneratedCondition,
  generateContainersReadyCondition,
  generatePodConditions,
  generatePodInitializedCondition,
  generatePodReadyCondition,
  generatePodReadyToStartContainersCondition,
  hasAnyRegularContainerStarted,
  PodCompleted,
  type PodConditionsInput,
  podInitialized,
  podReady,
  podReadyToStartContainers,
  podSandboxChanged,
  podScheduled,
  ReadinessGatesNotReady,
  type SandboxStatusSummary,
  UnknownContainerStatuses,
} from "./pod-conditions.ts";
export {
  configHashAnnotation,
  configMirrorAnnotation,
  configSourceAnnotation,
  isCriticalPod,
  isCriticalPodBasedOnPriority,
  isMirrorPod,
  isNodeCriticalPod,
  isStaticPod,
  systemClusterCritical,
  systemCriticalPriority,
  systemNodeCritical,
} from "./pod-critical.ts";
// Pod status
export { getPhase, type PodPhaseInput } from "./pod-phase.ts";
export { podRequest } from "./pod-request.ts";
export {
  canonicalHeaderKey,
  defaultProbeUserAgent,
  type ExecProbeAction,
  type GrpcProbeAction,
  type HttpProbeAction,
  httpProbeHeaders,
  type ProbeAction,
  type ProbeTiming,
  probeTiming,
  resolveContainerPort,
  resolveProbeAction,
  type TcpProbeAction,
} from "./probe-action.ts";
// Probes
export {
  maxProbeOutputBytes,
  maxProbeRetries,
  type ProbeResult,
  type ProbeState,
  type ProbeType,
  type ProbeVerdict,
  proberProbeDurationSeconds,
  proberProbeTotal,
  probeWithRetries,
} from "./probe-result.ts";
export { classifyExecResult } from "./probe-result-exec.ts";
export { classifyGrpcResult } from "./probe-result-grpc.ts";
export {
  capProbeBody,
  classifyHttpResponse,
  type HttpProbeRequest,
  type HttpProbeVerdict,
  type HttpTransport,
  type RawHttpResponse,
  redirectDecision,
  runHttpProbe,
} from "./probe-result-http.ts";
export { classifyTcpResult } from "./probe-result-tcp.ts";
export {
  initialProbeState,
  type ProbeTick,
  type ProbeTickInput,
  type ProbeUpdate,
  ProbeWorker,
  type ProbeWorkerInit,
} from "./probe-worker.ts";
export { ProberManager } from "./prober-manager.ts";
// QoS and OOM scores
export { computePodQOS, type QOSOptions } from "./qos.ts";
export { rankDiskPressureFunc } from "./rank-disk-pressure.ts";
export { type RankKeys, rankByKeysTs } from "./rank-keys.ts";
export { rankMemoryPressure } from "./rank-memory-pressure.ts";
export { rankPIDPressure } from "./rank-pid-pressure.ts";
export { type RankKernel, rankByKeys, rankKernelFor, rankPods, setRankKernel } from "./rank-pods.ts";
