/**
 * The scheduler extender's cluster view for `nodeCacheCapable: true`: nodes and pods from informers
 * (scheduled pods only, like the scheduler's cache), with metrics for cache size and staleness.
 */
import type { Node, Pod } from "../../core/api/mod.ts";
import type { Logger } from "../log/logger.ts";
import type { MetricsRegistry } from "../metrics/registry.ts";
import type { BackoffOptions } from "./backoff.ts";
import { Informer } from "./informer.ts";
import type { AnyObject, KubeClient } from "./kube-client.ts";

export interface ExtenderCacheOptions {
  client: KubeClient;
  metrics?: MetricsRegistry;
  now?: () => number;
  log?: Logger;
  backoff?: BackoffOptions;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** Implements the extender's ClusterView (adapters/extender/cluster-view.ts): nodes(), pods(), generation. */
export class ExtenderClusterCache {
  readonly nodeInformer: Informer<Node & AnyObject>;
  readonly podInformer: Informer<Pod & AnyObject>;
  private readonly options: ExtenderCacheOptions;
  private readonly byNode = new Map<string, Map<string, Pod>>();
  private gen = 0;

  constructor(options: ExtenderCacheOptions) {
    this.options = options;
    const common = {
      client: options.client,
      ...(options.log ? { log: options.log } : {}),
      ...(options.backoff ? { backoff: options.backoff } : {}),
      ...(options.sleep ? { sleep: options.sleep } : {}),
      ...(options.now ? { now: options.now } : {}),
    };
    this.nodeInformer = new Informer<Node & AnyObject>({ ...common, path: "/api/v1/nodes", name: "nodes" });
    // Scheduled, unfinished pods: what the scheduler cache counts against node capacity.
    this.podInformer = new Informer<Pod & AnyObject>({
      ...common,
      path: "/api/v1/pods",
      fieldSelector: "spec.nodeName!=,status.phase!=Succeeded,status.phase!=Failed",
      name: "pods",
    });
    const key = (p: Pod) => `${p.metadata.namespace}/${p.metadata.name}`;
    const put = (p: Pod) => {
      const n = p.spec.nodeName ?? "";
      let m = this.byNode.get(n);
      if (!m) {
        m = new Map();
        this.byNode.set(n, m);
      }
      m.set(key(p), p);
    };
    const drop = (p: Pod) => {
      const m = this.byNode.get(p.spec.nodeName ?? "");
      m?.delete(key(p));
      if (m?.size === 0) this.byNode.delete(p.spec.nodeName ?? "");
    };
    const bump = () => {
      this.gen++;
    };
    this.nodeInformer.on({ add: bump, update: bump, delete: bump });
    this.podInformer.on({ add: bump, update: bump, delete: bump });
    this.podInformer.on({
      add: put,
      update: (o, n) => {
        drop(o);
        put(n);
      },
      delete: drop,
    });
  }

  async start(): Promise<void> {
    await Promise.all([this.nodeInformer.start(), this.podInformer.start()]);
    this.updateMetrics();
  }

  async stop(): Promise<void> {
    await Promise.all([this.nodeInformer.stop(), this.podInformer.stop()]);
  }

  /** Changes on every informer event, so the extender can reuse its snapshot while nothing changed. */
  get generation(): number {
    return this.gen;
  }

  get synced(): boolean {
    return this.nodeInformer.hasSynced && this.podInformer.hasSynced;
  }

  nodes(): Node[] {
    return this.nodeInformer.list();
  }

  node(name: string): Node | undefined {
    return this.nodeInformer.get(undefined, name);
  }

  pods(): Pod[] {
    return this.podInformer.list();
  }

  podsOnNode(name: string): Pod[] {
    return [...(this.byNode.get(name)?.values() ?? [])];
  }

  /** Seconds since the cache last heard from the API server (the larger of both informers). */
  stalenessSeconds(): number {
    const now = this.options.now?.() ?? Date.now();
    const last = Math.min(this.nodeInformer.stats.lastContactAt, this.podInformer.stats.lastContactAt);
    return last === 0 ? Number.POSITIVE_INFINITY : Math.max(0, (now - last) / 1000);
  }

  /** Refreshes kite_extender_cache_size{type} and kite_extender_cache_staleness_seconds. */
  updateMetrics(): void {
    const m = this.options.metrics;
    if (!m) return;
    const size = m.gauge(
      "scheduler_cache_size",
      "Number of nodes, pods, and assumed (bound) pods in the scheduler cache.",
    );
    size.set(this.nodeInformer.size, { type: "nodes" });
    size.set(this.podInformer.size, { type: "pods" });
    const stale = this.stalenessSeconds();
    m.gauge(
      "kite_extender_cache_staleness_seconds",
      "Seconds since the extender's node/pod cache last heard from the API server.",
    ).set(Number.isFinite(stale) ? stale : -1);
  }
}
