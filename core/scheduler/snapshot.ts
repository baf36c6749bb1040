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
  pods.forEach((pod, i) => {
    if (!pod || typeof pod !== "object") throw invalidArgument(`${podsField}[${i}]`, "must be a Pod object");
    const nodeName = pod.spec?.nodeName;
    if (!nodeName || isTerminal(pod)) return;
    const ni = byName.get(nodeName);
    if (!ni) return;
    addPodToNodeInfo(ni, podInfoFor(pod, gates, `${podsField}[${i}]`));
  });
  return assembleSnapshot(nodeInfos);
}

/** The cluster-wide summaries over ready NodeInfos (their `index` is set to their position). */
export function assembleSnapshot(nodeInfos: NodeInfo[]): Snapshot {
  const byName = new Map<string, NodeInfo>();
  const pvcUsers = new Map<string, number>();
  const imageNumNodes = new Map<string, number>();
  const imageNodes = new Map<string, { indexes: number[]; sizes: number[] }>();
  nodeInfos.forEach((ni, i) => {
    ni.index = i;
    if (!byName.has(ni.name)) byName.set(ni.name, ni);
    for (const p of ni.pods) {
      for (const v of p.pod.spec?.volumes ?? []) {
        const claim = v.persistentVolumeClaim?.claimName;
        if (claim) {
          const key = `${p.namespace}/${claim}`;
          pvcUsers.set(key, (pvcUsers.get(key) ?? 0) + 1);
        }
      }
    }
    for (const [name, size] of ni.images) {
      imageNumNodes.set(name, (imageNumNodes.get(name) ?? 0) + 1);
      let entry = imageNodes.get(name);
      if (!entry) {
        entry = { indexes: [], sizes: [] };
        imageNodes.set(name, entry);
      }
      entry.indexes.push(i);
      entry.sizes.push(size);
    }
  });
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

interface CachedNode {
  node: Node;
  pods: Pod[];
  info: NodeInfo;
}

/**
 * Rebuilds snapshots from changing node and pod lists, reusing the NodeInfo of
 * every node whose Node object and pod objects are unchanged (by identity), as
 * informer caches keep them. A rebuild then costs about one pass over the pods.
 */
export class IncrementalSnapshotBuilder {
  readonly #gates: FeatureGates;
  #cache = new Map<string, CachedNode>();

  constructor(gates: FeatureGates) {
    this.#gates = gates;
  }

  build(
    nodes: readonly Node[],
    pods: readonly Pod[],
    fields: { nodes?: string; pods?: string } = {},
  ): Snapshot {
    const nodesField = fields.nodes ?? "nodes";
    const podsField = fields.pods ?? "pods";
    const podsByNode = new Map<string, { pod: Pod; i: number }[]>();
    pods.forEach((pod, i) => {
      if (!pod || typeof pod !== "object")
        throw invalidArgument(`${podsField}[${i}]`, "must be a Pod object");
      const nodeName = pod.spec?.nodeName;
      if (!nodeName || isTerminal(pod)) return;
      let list = podsByNode.get(nodeName);
      if (!list) {
        list = [];
        podsByNode.set(nodeName, list);
      }
      list.push({ pod, i });
    });
    const next = new Map<string, CachedNode>();
    const nodeInfos: NodeInfo[] = [];
    nodes.forEach((node, i) => {
      if (!node || typeof node !== "object")
        throw invalidArgument(`${nodesField}[${i}]`, "must be a Node object");
      const name = node.metadata?.name ?? "";
      if (next.has(name)) return;
      const onNode = podsByNode.get(name) ?? [];
      const prev = this.#cache.get(name);
      let entry: CachedNode;
      if (
        prev &&
        prev.node === node &&
        prev.pods.length === onNode.length &&
        onNode.every((p, j) => prev.pods[j] === p.pod)
      ) {
        entry = prev;
      } else {
        const info = newNodeInfo(node, `${nodesField}[${i}]`, i);
        for (const p of onNode)
          addPodToNodeInfo(info, podInfoFor(p.pod, this.#gates, `${podsField}[${p.i}]`));
        entry = { node, pods: onNode.map((p) => p.pod), info };
      }
      next.set(name, entry);
      nodeInfos.push(entry.info);
    });
    this.#cache = next;
    return assembleSnapshot(nodeInfos);
  }
}
