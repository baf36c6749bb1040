/**
 * Builds the scheduling snapshot for a request: the cluster view's nodes (for
 * NodeNames requests), or the request's own nodes plus the cluster view's pods
 * (for full Nodes requests). The cache snapshot is reused while the view's
 * generation is unchanged; otherwise it is rebuilt incrementally.
 */
import type { Node } from "../../core/api/mod.ts";
import {
  buildSnapshot,
  type FeatureGates,
  IncrementalSnapshotBuilder,
  type NodeInfo,
  type Snapshot,
} from "../../core/scheduler/mod.ts";
import type { ClusterView } from "./cluster-view.ts";
import type { ExtenderArgs } from "./wire.ts";

export interface Resolved {
  snapshot: Snapshot;
  candidates: NodeInfo[];
  /** Requested names the cache does not know. */
  missing: string[];
}

export class SnapshotProvider {
  readonly #view: ClusterView;
  readonly #gates: FeatureGates;
  readonly #builder: IncrementalSnapshotBuilder;
  #cached: { generation: number; snapshot: Snapshot } | undefined;
  readonly #candidates: NodeInfo[] = [];
  readonly #missing: string[] = [];

  constructor(view: ClusterView, gates: FeatureGates) {
    this.#view = view;
    this.#gates = gates;
    this.#builder = new IncrementalSnapshotBuilder(gates);
  }

  /** The snapshot of the whole cached cluster. */
  cluster(): Snapshot {
    const gen = this.#view.generation;
    if (gen !== undefined && this.#cached?.generation === gen) return this.#cached.snapshot;
    // Without a generation (an informer cache), rebuild per request; unchanged nodes keep their NodeInfo.
    const snapshot = this.#builder.build(this.#view.nodes(), this.#view.pods(), {
      nodes: "cache.nodes",
      pods: "cache.pods",
    });
    if (gen !== undefined) this.#cached = { generation: gen, snapshot };
    return snapshot;
  }

  /**
   * The cached cluster's NodeInfos for the names, in request order, and the names it does not know.
   * With `reuse`, the two arrays are this provider's own, refilled on the next reusing call (for a
   * server that consumes them before the next request).
   */
  byNames(names: readonly string[], reuse = false): Resolved {
    const snapshot = this.cluster();
    const candidates: NodeInfo[] = reuse ? this.#candidates : [];
    const missing: string[] = reuse ? this.#missing : [];
    candidates.length = names.length;
    missing.length = 0;
    let c = 0;
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      const ni = snapshot.byName.get(name);
      if (ni) candidates[c++] = ni;
      else missing.push(name);
    }
    candidates.length = c;
    return { snapshot, candidates, missing };
  }

  /** The request's candidates: by NodeNames (nodeCacheCapable) or from its full Nodes. */
  forArgs(args: Pick<ExtenderArgs, "Nodes" | "NodeNames">, reuse = false): Resolved {
    return args.NodeNames !== null ? this.byNames(args.NodeNames, reuse) : this.forNodes(args.Nodes!.items);
  }

  forNodes(nodes: readonly Node[]): Resolved {
    const names = new Set(nodes.map((n) => n.metadata?.name ?? ""));
    const pods = this.#view.pods().filter((p) => names.has(p.spec?.nodeName ?? ""));
    const snapshot = buildSnapshot(nodes, pods, this.#gates, { nodes: "Nodes.items", pods: "cache.pods" });
    return { snapshot, candidates: [...snapshot.nodeInfos], missing: [] };
  }
}
