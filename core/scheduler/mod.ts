/** kite scheduler core: the default kube-scheduler filter and score plugins, a framework to run them, and helpers. */

export type { ShapePoint } from "./broken-linear.ts";
export { buildBrokenLinearFunction } from "./broken-linear.ts";
export type { FeatureGates } from "./feature-gates.ts";
export { defaultFeatureGates, resolveFeatureGates } from "./feature-gates.ts";
export type { FieldErrorType } from "./field-error.ts";
export { fieldErrorType } from "./field-error.ts";
export type {
  CycleOutcome,
  FilterVerdict,
  NodeResult,
  PluginScore,
  PointStatus,
  ScheduleInput,
  SchedulingResult,
  SimulateInput,
} from "./framework.ts";
export {
  CycleBuffers,
  explainCycle,
  newCycleContext,
  numFeasibleNodesToFind,
  runCycle,
  runScorePlugin,
  schedulePod,
  simulate,
} from "./framework.ts";
export { normalizedImageName } from "./image-name.ts";
export type { NodeInfo } from "./node-info.ts";
export { defaultNormalizeScore } from "./normalize-score.ts";
export type { CycleContext, Plugin, PluginFactory, PreFilterResult } from "./plugin.ts";
export { maxNodeScore, minNodeScore } from "./plugin.ts";
export { defaultFilterPlugins, defaultScorePlugins, registry } from "./plugins/registry.ts";
export type { HostPort, PodInfo } from "./pod-info.ts";
export { podInfoFor } from "./pod-info.ts";
export { computePodRequests } from "./pod-requests.ts";
export type { Victims } from "./preemption.ts";
export { selectVictimsOnNode } from "./preemption.ts";
export type {
  KubeSchedulerProfile,
  PluginRef,
  PluginSet,
  ProfileOptions,
  ResolvedProfile,
  ScorePluginEntry,
} from "./profile.ts";
export { createProfile, newPlugin, profileFromDocument } from "./profile.ts";
export type { Resource } from "./resource.ts";
export { defaultMemoryRequest, defaultMilliCPURequest } from "./resource.ts";
export type { KernelChoice } from "./resource-score.ts";
export { resourceScoreKernelName, setResourceScoreKernel } from "./resource-score.ts";
export type { ResourceScoreInput, ResourceScoreKernel } from "./resource-score-kernel.ts";
export {
  scoreResourcesTS,
  strategyBalancedAllocation,
  strategyLeastAllocated,
  strategyMostAllocated,
  strategyRequestedToCapacityRatio,
} from "./resource-score-kernel.ts";
export { scoreResourcesWasm } from "./resource-score-wasm.ts";
export type { Snapshot } from "./snapshot.ts";
export { assembleSnapshot, buildSnapshot, IncrementalSnapshotBuilder } from "./snapshot.ts";
export type { InsufficientResource, Status, StatusCode } from "./status.ts";
export { toleratesTaint } from "./toleration.ts";
export { validateNode, validatePod } from "./validate-objects.ts";
