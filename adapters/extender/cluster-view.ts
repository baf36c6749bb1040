/**
 * Where the extender's nodes and pods come from in nodeCacheCapable mode (and
 * the pods already placed, in both modes). Anything with nodes() and pods()
 * works: the folder-fed MemoryClusterCache below, or the API-server informer
 * cache (adapters/apiserver/extender-cache.ts). `generation`, when present,
 * changes on every update so the extender can reuse its snapshot.
 */
import type { Node, Pod } from "../../core/api/mod.ts";

export interface ClusterView {
  nodes(): readonly Node[];
  /** Pods with spec.nodeName set (unbound pods are ignored anyway). */
  pods(): readonly Pod[];
  readonly generation?: number;
}

function podKey(p: Pod): string {
  return `${p.metadata?.namespace || "default"}/${p.metadata?.name ?? ""}`;
}

/** An in-memory cache fed by events (an informer) or by whole lists (a folder of YAML). */
export class MemoryClusterCache implements ClusterView {
  #nodes = new Map<string, Node>();
  #pods = new Map<string, Pod>();
  #generation = 0;

  get generation(): number {
    return this.#generation;
  }

  nodes(): Node[] {
    return [...this.#nodes.values()];
  }

  pods(): Pod[] {
    return [...this.#pods.values()];
  }

  node(name: string): Node | undefined {
    return this.#nodes.get(name);
  }

  upsertNode(node: Node): void {
    this.#nodes.set(node.metadata?.name ?? "", node);
    this.#generation++;
  }

  deleteNode(name: string): void {
    if (this.#nodes.delete(name)) this.#generation++;
  }

  upsertPod(pod: Pod): void {
    this.#pods.set(podKey(pod), pod);
    this.#generation++;
  }

  deletePod(namespace: string, name: string): void {
    if (this.#pods.delete(`${namespace || "default"}/${name}`)) this.#generation++;
  }

  /** Replaces everything at once (a relist, or a reload of the folder). */
  replace(nodes: readonly Node[], pods: readonly Pod[]): void {
    this.#nodes = new Map(nodes.map((n) => [n.metadata?.name ?? "", n]));
    this.#pods = new Map(pods.map((p) => [podKey(p), p]));
    this.#generation++;
  }
}
