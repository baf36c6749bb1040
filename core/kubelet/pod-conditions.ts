import type { ContainerStatus, PodCondition, PodPhase, PodSpec } from "../api/mod.ts";

export const podReadyToStartContainers = "PodReadyToStartContainers";
export const podInitialized = "Initialized";
export const podReady = "Ready";
export const containersReady = "ContainersReady";
export const podScheduled = "PodScheduled";

/** Condition reasons the kubelet uses (pkg/kubelet/status). */
export const UnknownContainerStatuses = "UnknownContainerStatuses";
export const PodCompleted = "PodCompleted";
export const ContainersNotReady = "ContainersNotReady";
export const ContainersNotInitialized = "ContainersNotInitialized";
export const ReadinessGatesNotReady = "ReadinessGatesNotReady";

/** The fields of a container status the conditions read. */
export type ConditionContainerStatus = Pick<ContainerStatus, "name"> &
  Partial<Pick<ContainerStatus, "ready" | "started" | "state">>;

/** The spec fields the conditions read (readinessGates is core/v1 PodSpec.readinessGates). */
export interface ConditionPodSpec {
  containers?: PodSpec["containers"];
  initContainers?: PodSpec["initContainers"];
  readinessGates?: { conditionType: string }[];
}

/** A kubelet-generated condition: reason and message are "" when empty, as upstream compares them. */
export interface GeneratedCondition {
  type: string;
  status: "True" | "False";
  reason: string;
  message: string;
}

const goList = (names: string[]) => `[${names.join(" ")}]`;

function indexStatuses(statuses: readonly ConditionContainerStatus[]) {
  const m = new Map<string, ConditionContainerStatus>();
  for (const s of statuses) m.set(s.name, s);
  return m;
}

function cond(type: string, ok: boolean, reason = "", message = ""): GeneratedCondition {
  return { type, status: ok ? "True" : "False", reason, message };
}

/**
 * ContainersReady: True iff every regular container and every sidecar reports ready
 * (upstream `GenerateContainersReadyCondition`). `statuses` holds init and regular statuses together;
 * `undefined` means they are unknown.
 */
export function generateContainersReadyCondition(
  spec: ConditionPodSpec,
  statuses: readonly ConditionContainerStatus[] | undefined | null,
  podPhase: PodPhase,
): GeneratedCondition {
  if (!statuses) return cond(containersReady, false, UnknownContainerStatuses);
  const byName = indexStatuses(statuses);
  const unknown: string[] = [];
  const unready: string[] = [];
  const check = (name: string) => {
    const s = byName.get(name);
    if (!s) unknown.push(name);
    else if (!s.ready) unready.push(name);
  };
  for (const c of spec.initContainers ?? []) if (c.restartPolicy === "Always") check(c.name);
  for (const c of spec.containers ?? []) check(c.name);
  if (podPhase === "Succeeded" && unknown.length === 0) return cond(containersReady, false, PodCompleted);
  const messages: string[] = [];
  if (unknown.length > 0) messages.push(`containers with unknown status: ${goList(unknown)}`);
  if (unready.length > 0) messages.push(`containers with unready status: ${goList(unready)}`);
  if (messages.length > 0) return cond(containersReady, false, ContainersNotReady, messages.join(", "));
  return cond(containersReady, true);
}

/**
 * Ready: ContainersReady and every readiness gate's condition True (upstream `GeneratePodReadyCondition`).
 * `conditions` are the pod's current conditions, where readiness gates are looked up.
 */
export function generatePodReadyCondition(
  spec: ConditionPodSpec,
  conditions: readonly Pick<PodCondition, "type" | "status">[] | undefined,
  statuses: readonly ConditionContainerStatus[] | undefined | null,
  podPhase: PodPhase,
): GeneratedCondition {
  const cr = generateContainersReadyCondition(spec, statuses, podPhase);
  if (cr.status !== "True") return { ...cr, type: podReady };
  const messages: string[] = [];
  for (const gate of spec.readinessGates ?? []) {
    const c = conditions?.find((x) => x.type === gate.conditionType);
    if (!c) {
      messages.push(`corresponding condition of pod readiness gate "${gate.conditionType}" does not exist.`);
    } else if (c.status !== "True") {
      messages.push(
        `the status of pod readiness gate "${gate.conditionType}" is not "True", but ${c.status}`,
      );
    }
  }
  if (messages.length > 0) return cond(podReady, false, ReadinessGatesNotReady, messages.join(", "));
  return cond(podReady, true);
}

/** Any regular container running or terminated (upstream `hasAnyRegularContainerCreated` / podHasInitialized). */
export function hasAnyRegularContainerStarted(
  spec: ConditionPodSpec,
  statuses: readonly ConditionContainerStatus[],
): boolean {
  const byName = indexStatuses(statuses);
  return (spec.containers ?? []).some((c) => {
    const s = byName.get(c.name);
    return !!(s?.state?.running || s?.state?.terminated);
  });
}

/**
 * Initialized: every regular init container done (ready) and every sidecar started, or any regular container
 * already started (upstream `GeneratePodInitializedCondition`).
 */
export function generatePodInitializedCondition(
  spec: ConditionPodSpec,
  statuses: readonly ConditionContainerStatus[] | undefined | null,
  podPhase: PodPhase,
): GeneratedCondition {
  const inits = spec.initContainers ?? [];
  if (!statuses && inits.length > 0) return cond(podInitialized, false, UnknownContainerStatuses);
  const list = statuses ?? [];
  const byName = indexStatuses(list);
  const unknown: string[] = [];
  const incomplete: string[] = [];
  for (const c of inits) {
    const s = byName.get(c.name);
    if (!s) unknown.push(c.name);
    else if (c.restartPolicy === "Always" ? !s.started : !s.ready) incomplete.push(c.name);
  }
  if (podPhase === "Succeeded" && unknown.length === 0) return cond(podInitialized, true, PodCompleted);
  if (hasAnyRegularContainerStarted(spec, list)) return cond(podInitialized, true);
  const messages: string[] = [];
  if (unknown.length > 0) messages.push(`containers with unknown status: ${goList(unknown)}`);
  if (incomplete.length > 0) messages.push(`containers with incomplete status: ${goList(incomplete)}`);
  if (messages.length > 0) return cond(podInitialized, false, ContainersNotInitialized, messages.join(", "));
  return cond(podInitialized, true);
}

/** What the runtime reports about one pod sandbox (CRI PodSandboxStatus), newest first. */
export interface SandboxStatusSummary {
  state: "SANDBOX_READY" | "SANDBOX_NOTREADY";
  attempt?: number;
  /** The sandbox's primary IP ("" when the network is not set up). */
  ip?: string;
  /** The sandbox shares the host network namespace. */
  hostNetwork?: boolean;
}

/**
 * Whether the newest sandbox can be reused, or a new one must be created (upstream kuberuntime
 * `PodSandboxChanged`, first result): no sandbox, more than one ready, not ready, network namespace changed,
 * or no IP for a pod network.
 */
export function podSandboxChanged(
  sandboxes: readonly SandboxStatusSummary[],
  hostNetwork = false,
): { createSandbox: boolean; attempt: number } {
  const newest = sandboxes[0];
  if (!newest) return { createSandbox: true, attempt: 0 };
  const readyCount = sandboxes.filter((s) => s.state === "SANDBOX_READY").length;
  const next = (newest.attempt ?? 0) + 1;
  if (readyCount > 1) return { createSandbox: true, attempt: next };
  if (newest.state !== "SANDBOX_READY") return { createSandbox: true, attempt: next };
  if (newest.hostNetwork !== undefined && newest.hostNetwork !== hostNetwork)
    return { createSandbox: true, attempt: next };
  if (!hostNetwork && !newest.ip) return { createSandbox: true, attempt: next };
  return { createSandbox: false, attempt: newest.attempt ?? 0 };
}

/** PodReadyToStartContainers: True iff the newest sandbox is ready with its network (and IP) in place. */
export function generatePodReadyToStartContainersCondition(
  sandboxes: readonly SandboxStatusSummary[],
  hostNetwork = false,
): GeneratedCondition {
  return cond(podReadyToStartContainers, !podSandboxChanged(sandboxes, hostNetwork).createSandbox);
}

export interface PodConditionsInput {
  spec: ConditionPodSpec & { hostNetwork?: boolean };
  phase: PodPhase;
  /** Init and regular container statuses (together); undefined = unknown. */
  containerStatuses: readonly ConditionContainerStatus[] | undefined;
  sandboxes: readonly SandboxStatusSummary[];
  /** The pod's current conditions: readiness-gate and other foreign conditions are kept. */
  existing?: readonly PodCondition[];
  /** Kept from `existing` when the status does not change (lastTransitionTime). */
  now?: string;
}

const kubeletOwned = new Set([
  podReadyToStartContainers,
  podInitialized,
  podReady,
  containersReady,
  podScheduled,
]);

/**
 * Every condition the kubelet writes, in upstream order (PodReadyToStartContainers, Initialized, Ready,
 * ContainersReady, PodScheduled=True), followed by the conditions it does not own (readiness gates,
 * DisruptionTarget). lastTransitionTime is carried over when the status did not change, else set to `now`.
 */
export function generatePodConditions(input: PodConditionsInput): PodCondition[] {
  const { spec, phase, containerStatuses: statuses } = input;
  const generated = [
    generatePodReadyToStartContainersCondition(input.sandboxes, spec.hostNetwork ?? false),
    generatePodInitializedCondition(spec, statuses, phase),
    generatePodReadyCondition(spec, input.existing, statuses, phase),
    generateContainersReadyCondition(spec, statuses, phase),
    cond(podScheduled, true),
  ];
  const out: PodCondition[] = generated.map((g) => {
    const prev = input.existing?.find((c) => c.type === g.type);
    const c: PodCondition = { type: g.type, status: g.status };
    if (g.reason) c.reason = g.reason;
    if (g.message) c.message = g.message;
    const transition = prev && prev.status === g.status ? prev.lastTransitionTime : input.now;
    if (transition) c.lastTransitionTime = transition;
    return c;
  });
  for (const c of input.existing ?? []) if (!kubeletOwned.has(c.type)) out.push(c);
  return out;
}
