/**
 * DefaultPreemption's selectVictimsOnNode: remove every lower-priority pod,
 * check that the preemptor fits, then reprieve victims from the most important
 * down while it still fits. What remains are the minimal victims. kite has no
 * PodDisruptionBudgets, so NumPDBViolations is always 0.
 */
import type { Node, Pod } from "../api/mod.ts";
import { newCycleContext } from "./framework.ts";
import type { PodInfo } from "./pod-info.ts";
import { podInfoFor } from "./pod-info.ts";
import type { ResolvedProfile } from "./profile.ts";
import { buildSnapshot, type Snapshot } from "./snapshot.ts";

export interface Victims {
  pods: Pod[];
  numPDBViolations: number;
}

function startTime(p: PodInfo): number {
  const t = p.pod.status?.startTime ?? p.pod.metadata?.creationTimestamp;
  const ms = t ? Date.parse(t) : Number.NaN;
  return Number.isNaN(ms) ? Number.POSITIVE_INFINITY : ms;
}

/** MoreImportantPod: higher priority first, then the one that started earlier. */
function moreImportantFirst(a: PodInfo, b: PodInfo): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  return startTime(a) - startTime(b);
}

function needsCluster(pod: Pod, snapshot: Snapshot): boolean {
  const spec = pod.spec;
  return (
    !!spec?.affinity?.podAffinity ||
    !!spec?.affinity?.podAntiAffinity ||
    (spec?.topologySpreadConstraints?.length ?? 0) > 0 ||
    snapshot.havePodsWithRequiredAntiAffinity.length > 0
  );
}

/**
 * Whether `pod` passes every filter of the profile on `nodeName` when the pods
 * in `removed` are gone from that node.
 */
function fitsWithout(
  pod: Pod,
  nodeName: string,
  removed: ReadonlySet<Pod>,
  nodes: readonly Node[],
  pods: readonly Pod[],
  profile: ResolvedProfile,
  cluster: boolean,
): boolean {
  const keptPods = pods.filter((p) => !removed.has(p));
  const snapshot = cluster
    ? buildSnapshot(nodes, keptPods, profile.gates)
    : buildSnapshot(
        nodes.filter((n) => n.metadata?.name === nodeName),
        keptPods.filter((p) => p.spec?.nodeName === nodeName),
        profile.gates,
      );
  const ni = snapshot.byName.get(nodeName);
  if (!ni) return false;
  const ctx = newCycleContext(pod, snapshot, profile.gates);
  for (const p of profile.filterPlugins) {
    if (p.preFilter) {
      const r = p.preFilter(ctx);
      if (r.status.code === "Skip") continue;
      if (r.status.code !== "Success") return false;
      if (r.nodeNames && !r.nodeNames.has(nodeName)) return false;
    }
    if (p.filter && p.filter(ctx, ni).code !== "Success") return false;
  }
  return true;
}

/**
 * The minimal set of lower-priority pods on `nodeName` whose eviction lets
 * `pod` fit, or null when even evicting all of them is not enough.
 */
export function selectVictimsOnNode(
  pod: Pod,
  nodeName: string,
  snapshot: Snapshot,
  profile: ResolvedProfile,
): Victims | null {
  const ni = snapshot.byName.get(nodeName);
  if (!ni) return null;
  const priority = podInfoFor(pod, profile.gates).priority;
  const potential = ni.pods.filter((p) => p.priority < priority).sort(moreImportantFirst);
  const nodes = snapshot.nodeInfos.map((n) => n.node);
  const pods = snapshot.nodeInfos.flatMap((n) => n.pods.map((p) => p.pod));
  const cluster = needsCluster(pod, snapshot);
  const removed = new Set(potential.map((p) => p.pod));
  if (!fitsWithout(pod, nodeName, removed, nodes, pods, profile, cluster)) return null;
  const victims: Pod[] = [];
  for (const p of potential) {
    removed.delete(p.pod);
    if (!fitsWithout(pod, nodeName, removed, nodes, pods, profile, cluster)) {
      removed.add(p.pod);
      victims.push(p.pod);
    }
  }
  return { pods: victims, numPDBViolations: 0 };
}
