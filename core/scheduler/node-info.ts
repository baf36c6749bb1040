/**
 * framework.NodeInfo: one node and the aggregate of the pods already on it
 * (requested and non-zero requested resources, used host ports, images).
 */
import type { Node, Taint } from "../api/mod.ts";
import { type HostPort, type PodInfo, podHasAffinity } from "./pod-info.ts";
import { addResource, emptyResource, type Resource, resourceFromList } from "./resource.ts";

export interface NodeInfo {
  /** Position in the snapshot (for per-node arrays). */
  index: number;
  readonly name: string;
  readonly node: Node;
  readonly labels: Readonly<Record<string, string>>;
  readonly taints: readonly Taint[];
  readonly unschedulable: boolean;
  readonly allocatable: Resource;
  readonly pods: PodInfo[];
  /** Σ real requests of the pods on the node. */
  readonly requested: Resource;
  /** Σ requests with the non-zero defaults (cpu and memory). */
  readonly nonZeroRequested: Resource;
  /** Used host ports: ip → set of "protocol/port". */
  readonly usedPorts: Map<string, Set<string>>;
  /** Normalised image name → size in bytes, from status.images. */
  readonly images: Map<string, number>;
  readonly podsWithAffinity: PodInfo[];
  readonly podsWithRequiredAntiAffinity: PodInfo[];
}

export function newNodeInfo(node: Node, field = "node", index = 0): NodeInfo {
  const images = new Map<string, number>();
  for (const img of node.status?.images ?? []) {
    for (const n of img.names ?? []) images.set(n, img.sizeBytes ?? 0);
  }
  return {
    index,
    name: node.metadata?.name ?? "",
    node,
    labels: node.metadata?.labels ?? {},
    taints: node.spec?.taints ?? [],
    unschedulable: node.spec?.unschedulable === true,
    allocatable: resourceFromList(node.status?.allocatable, `${field}.status.allocatable`),
    pods: [],
    requested: emptyResource(),
    nonZeroRequested: emptyResource(),
    usedPorts: new Map(),
    images,
    podsWithAffinity: [],
    podsWithRequiredAntiAffinity: [],
  };
}

function portKey(p: HostPort): string {
  return `${p.protocol}/${p.port}`;
}

/** NodeInfo.AddPod. */
export function addPodToNodeInfo(ni: NodeInfo, pod: PodInfo): void {
  ni.pods.push(pod);
  addResource(ni.requested, pod.requests);
  ni.nonZeroRequested.milliCPU += pod.nonZeroRequests.milliCPU;
  ni.nonZeroRequested.memory += pod.nonZeroRequests.memory;
  for (const p of pod.hostPorts) {
    let set = ni.usedPorts.get(p.ip);
    if (!set) {
      set = new Set();
      ni.usedPorts.set(p.ip, set);
    }
    set.add(portKey(p));
  }
  if (podHasAffinity(pod)) ni.podsWithAffinity.push(pod);
  if (pod.requiredAntiAffinityTerms.length > 0) ni.podsWithRequiredAntiAffinity.push(pod);
}

/** HostPortInfo.CheckConflict for one wanted port. */
export function hostPortConflicts(ni: NodeInfo, want: HostPort): boolean {
  if (want.port <= 0) return false;
  const key = portKey(want);
  if (want.ip === "0.0.0.0") {
    for (const set of ni.usedPorts.values()) if (set.has(key)) return true;
    return false;
  }
  return ni.usedPorts.get(want.ip)?.has(key) === true || ni.usedPorts.get("0.0.0.0")?.has(key) === true;
}
