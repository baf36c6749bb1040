/**
 * framework.PodInfo: one pod with everything the plugins read from it parsed
 * once (requests, non-zero requests, host ports, images, affinity terms).
 */
import type { Pod } from "../api/mod.ts";
import {
  type AffinityTerm,
  newAffinityTerm,
  newWeightedAffinityTerms,
  type WeightedAffinityTerm,
} from "./affinity-term.ts";
import type { FeatureGates } from "./feature-gates.ts";
import { normalizedImageName } from "./image-name.ts";
import { computePodRequests } from "./pod-requests.ts";
import type { Resource } from "./resource.ts";

export interface HostPort {
  ip: string;
  protocol: string;
  port: number;
}

export interface PodInfo {
  readonly pod: Pod;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly priority: number;
  /** Real requests (Fit filter, BalancedAllocation). */
  readonly requests: Resource;
  /** Requests with the 100m / 200Mi non-zero defaults (Fit scoring). */
  readonly nonZeroRequests: Resource;
  readonly hostPorts: readonly HostPort[];
  readonly images: readonly string[];
  readonly requiredAffinityTerms: readonly AffinityTerm[];
  readonly requiredAntiAffinityTerms: readonly AffinityTerm[];
  readonly preferredAffinityTerms: readonly WeightedAffinityTerm[];
  readonly preferredAntiAffinityTerms: readonly WeightedAffinityTerm[];
  readonly hasRestartableInitContainer: boolean;
}

const caches = new Map<boolean, WeakMap<Pod, PodInfo>>([
  [true, new WeakMap()],
  [false, new WeakMap()],
]);

function collectHostPorts(pod: Pod): HostPort[] {
  const out: HostPort[] = [];
  const spec = pod.spec;
  for (const list of [spec?.initContainers ?? [], spec?.containers ?? []]) {
    for (const c of list) {
      for (const p of c.ports ?? []) {
        if (!p.hostPort || p.hostPort <= 0) continue;
        out.push({ ip: p.hostIP || "0.0.0.0", protocol: p.protocol || "TCP", port: p.hostPort });
      }
    }
  }
  return out;
}

/**
 * Parses a pod once (cached per pod object and PodLevelResources setting). `cache: false` for a pod
 * seen once, as the incoming pod of an extender request: V8's young-generation GC keeps WeakMap
 * entries with young keys alive, so caching every request's pod made each scavenge copy and promote
 * ≈ 1.4 KB per request.
 */
export function podInfoFor(pod: Pod, gates: FeatureGates, field = "pod", cache = true): PodInfo {
  const cached = caches.get(gates.PodLevelResources)!;
  const hit = cached.get(pod);
  if (hit) return hit;
  const spec = pod.spec ?? { containers: [] };
  const affinity = spec.affinity;
  const podAff = affinity?.podAffinity;
  const podAnti = affinity?.podAntiAffinity;
  const af = `${field}.spec.affinity`;
  const info: PodInfo = {
    pod,
    namespace: pod.metadata?.namespace || "default",
    name: pod.metadata?.name ?? "",
    uid: pod.metadata?.uid ?? "",
    priority: spec.priority ?? 0,
    requests: computePodRequests(pod, { podLevelResources: gates.PodLevelResources, nonZero: false }, field),
    nonZeroRequests: computePodRequests(
      pod,
      { podLevelResources: gates.PodLevelResources, nonZero: true },
      field,
    ),
    hostPorts: collectHostPorts(pod),
    images: [...(spec.initContainers ?? []), ...(spec.containers ?? [])]
      .map((c) => c.image)
      .filter((i): i is string => !!i)
      .map(normalizedImageName),
    requiredAffinityTerms: (podAff?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t, i) =>
      newAffinityTerm(pod, t, `${af}.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[${i}]`),
    ),
    requiredAntiAffinityTerms: (podAnti?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t, i) =>
      newAffinityTerm(pod, t, `${af}.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[${i}]`),
    ),
    preferredAffinityTerms: newWeightedAffinityTerms(
      pod,
      podAff?.preferredDuringSchedulingIgnoredDuringExecution,
      `${af}.podAffinity.preferredDuringSchedulingIgnoredDuringExecution`,
    ),
    preferredAntiAffinityTerms: newWeightedAffinityTerms(
      pod,
      podAnti?.preferredDuringSchedulingIgnoredDuringExecution,
      `${af}.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution`,
    ),
    hasRestartableInitContainer: (spec.initContainers ?? []).some((c) => c.restartPolicy === "Always"),
  };
  if (cache) cached.set(pod, info);
  return info;
}

export function podHasAffinity(p: PodInfo): boolean {
  return (
    p.requiredAffinityTerms.length > 0 ||
    p.requiredAntiAffinityTerms.length > 0 ||
    p.preferredAffinityTerms.length > 0 ||
    p.preferredAntiAffinityTerms.length > 0
  );
}
