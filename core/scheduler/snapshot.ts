/**
 * A snapshot of the cluster for one scheduling cycle: a NodeInfo per node with
 * the assigned pods folded in, plus the cluster-wide summaries some plugins
 * need (image spread, pods with affinity, PVC users).
 */
import type { Node, Pod } from "../api/mod.ts";
import { invalidArgument } from "../errors/mod.ts";
import type { FeatureGates } from "./feature-gates.ts";
import { addPodToNodeInfo, type NodeInfo, newNodeInfo } from "./node-info.ts";
import { podInfoFor } from "./pod-info.ts";

export interface Snapshot {
  readonly nodeInfos: readonly NodeInfo[];
  readonly byName: ReadonlyMap<string, NodeInfo>;
  /** Normalised image name → number of nodes that have it. */
  readonly imageNumNodes: ReadonlyMap<string, number>;
  /** Image name → the nodes (snapshot indexes) that have it, with its size there. */
  readonly imageNodes: ReadonlyMap<string, { indexes: number[]; sizes: number[] }>;
  readonly havePodsWithAffinity: readonly NodeInfo[];
  readonly havePodsWithRequiredAntiAffinity: readonly NodeInfo[];
  /** "namespace/claim" → number of pods using that PVC. */
  readonly pvcUsers: ReadonlyMap<string, number>;
}

function isTerminal(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === "Succeeded" || phase === "Failed";
}

/**
 * Builds the snapshot. Pods without spec.nodeName, pods on nodes that are not
 * listed, and terminal pods (Succeeded/Failed) are not counted, as in the
 * scheduler's cache.
 */
export function buildSnapshot(
  nodes: readonly Node[],
  pods: readonly Pod[],
  gates: FeatureGates,
  fields: { nodes?: string; pods?: string } = {},
): Snapshot {
  const nodesField = fields.nodes ?? "nodes";
  const podsField = fields.pods ?? "pods";
  const byName = new Map<string, NodeInfo>();
  const nodeInfos: NodeInfo[] = [];
  nodes.forEach((node, i) => {
    if (!node || typeof node !== "object")
      throw invalidArgument(`${nodesField}[${i}]`, "must be a Node object");
    const ni = newNodeInfo(node, `${nodesField}[${i}]`, i);
    nodeInfos.push(ni);
    if (!byName.has(ni.name)) byName.set(ni.name, ni);
  });
  const pvcUsers = new Map<string, number>();
  pods.forEach((pod, i) => {
    if (!pod || typeof pod !== "object") throw invalidArgument(`${podsField}[${i}]`, "must be a Pod object");
    const nodeName = pod.spec?.nodeName;
    if (!nodeName || isTerminal(pod)) return;
    const ni = byName.get(nodeName);
    if (!ni) return;
    const info = podInfoFor(pod, gates, `${podsField}[${i}]`);
    addPodToNodeInfo(ni, info);
    for (const v of pod.spec?.volumes ?? []) {
      const claim = v.persistentVolumeClaim?.claimName;
      if (claim) {
        const key = `${info.namespace}/${claim}`;
        pvcUsers.set(key, (pvcUsers.get(key) ?? 0) + 1);
      }
    }
  });
  const imageNumNodes = new Map<string, number>();
  const imageNodes = new Map<string, { indexes: number[]; sizes: number[] }>();
  for (const ni of nodeInfos) {
    for (const [name, size] of ni.images) {
      imageNumNodes.set(name, (imageNumNodes.get(name) ?? 0) + 1);
      let entry = imageNodes.get(name);
      if (!entry) {
        entry = { indexes: [], sizes: [] };
        imageNodes.set(name, entry);
      }
      entry.indexes.push(ni.index);
      entry.sizes.push(size);
    }
  }
  return {
    nodeInfos,
    byName,
    imageNumNodes,
    imageNodes,
    havePodsWithAffinity: nodeInfos.filter((n) => n.podsWithAffinity.length > 0),
    havePodsWithRequiredAntiAffinity: nodeInfos.filter((n) => n.podsWithRequiredAntiAffinity.length > 0),
    pvcUsers,
  };
}
