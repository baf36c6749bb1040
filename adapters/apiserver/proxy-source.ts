/**
 * The proxy's object source in a cluster: Services, EndpointSlices (discovery.k8s.io/v1; on older
 * servers v1beta1, then core Endpoints converted to slices) and its own Node, from informers.
 * Implements the ObjectSource interface of adapters/proxy/sources/source.ts.
 */
import type { EndpointSlice, Endpoints, Node, Service } from "../../core/api/mod.ts";
import type { Logger } from "../log/logger.ts";
import type { ObjectSource, SourceEvent, SourceHandlers } from "../proxy/sources/source.ts";
import type { BackoffOptions } from "./backoff.ts";
import { chooseEndpointsApi, discoverServer, type EndpointsApi } from "./discovery.ts";
import { sliceFromV1beta1, slicesFromEndpoints } from "./endpoints-conversion.ts";
import { Informer } from "./informer.ts";
import type { AnyObject, KubeClient } from "./kube-client.ts";

export interface ApiObjectSourceOptions {
  client: KubeClient;
  /** The proxy's node (--hostname-override); its Node object is watched. Omit to skip. */
  nodeName?: string;
  /** Skip discovery and use this endpoints API. */
  endpointsApi?: EndpointsApi;
  log?: Logger;
  backoff?: BackoffOptions;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

type Obj = AnyObject;

/** kube-proxy's selector for every informer: no services owned by another proxy, no headless endpoints. */
export const proxyLabelSelector = "!service.kubernetes.io/service-proxy-name,!service.kubernetes.io/headless";

export class ApiObjectSource implements ObjectSource {
  readonly options: ApiObjectSourceOptions;
  endpointsApi: EndpointsApi | undefined;
  private informers: Informer<Obj>[] = [];
  private handlers: SourceHandlers | undefined;
  private live = false;
  private pending: SourceEvent[] = [];
  /** Slices delivered per core Endpoints object (for the Endpoints fallback). */
  private readonly fromEndpoints = new Map<string, Map<string, EndpointSlice>>();

  constructor(options: ApiObjectSourceOptions) {
    this.options = options;
  }

  get description(): string {
    return `API server ${this.options.client.server.origin} (${this.endpointsApi ?? "endpoints API not chosen yet"})`;
  }

  private emit(events: SourceEvent[]): void {
    if (events.length === 0) return;
    if (!this.live) this.pending.push(...events);
    else this.handlers?.events(events);
  }

  private informer(path: string, extra: Partial<ConstructorParameters<typeof Informer>[0]>): Informer<Obj> {
    const inf = new Informer<Obj>({
      client: this.options.client,
      path,
      ...(this.options.log ? { log: this.options.log } : {}),
      ...(this.options.backoff ? { backoff: this.options.backoff } : {}),
      ...(this.options.sleep ? { sleep: this.options.sleep } : {}),
      ...extra,
    });
    this.informers.push(inf);
    return inf;
  }

  async start(handlers: SourceHandlers): Promise<void> {
    this.handlers = handlers;
    this.endpointsApi =
      this.options.endpointsApi ?? chooseEndpointsApi(await discoverServer(this.options.client));
    this.options.log?.info("proxy object source", { endpointsApi: this.endpointsApi });
    if (this.options.nodeName) {
      this.informer("/api/v1/nodes", {
        fieldSelector: `metadata.name=${this.options.nodeName}`,
        name: "nodes",
      }).on({
        add: (o) => this.emit([{ kind: "Node", op: "add", object: o as unknown as Node }]),
        update: (_, o) => this.emit([{ kind: "Node", op: "update", object: o as unknown as Node }]),
        delete: (o) => this.emit([{ kind: "Node", op: "delete", object: o as unknown as Node }]),
      });
    }
    this.informer("/api/v1/services", { labelSelector: proxyLabelSelector, name: "services" }).on({
      add: (o) => this.emit([{ kind: "Service", op: "add", object: o as unknown as Service }]),
      update: (_, o) => this.emit([{ kind: "Service", op: "update", object: o as unknown as Service }]),
      delete: (o) => this.emit([{ kind: "Service", op: "delete", object: o as unknown as Service }]),
    });
    if (this.endpointsApi === "v1") {
      this.informer("/api/v1/endpoints", { labelSelector: proxyLabelSelector, name: "endpoints" }).on({
        add: (o) => this.emit(this.endpointsChanged(o as unknown as Endpoints, false)),
        update: (_, o) => this.emit(this.endpointsChanged(o as unknown as Endpoints, false)),
        delete: (o) => this.emit(this.endpointsChanged(o as unknown as Endpoints, true)),
      });
    } else {
      const beta = this.endpointsApi === "discovery.k8s.io/v1beta1";
      const conv = (o: Obj) =>
        beta ? sliceFromV1beta1(o as unknown as EndpointSlice) : (o as unknown as EndpointSlice);
      this.informer(`/apis/${this.endpointsApi}/endpointslices`, {
        labelSelector: proxyLabelSelector,
        name: "endpointslices",
      }).on({
        add: (o) => this.emit([{ kind: "EndpointSlice", op: "add", object: conv(o) }]),
        update: (_, o) => this.emit([{ kind: "EndpointSlice", op: "update", object: conv(o) }]),
        delete: (o) => this.emit([{ kind: "EndpointSlice", op: "delete", object: conv(o) }]),
      });
    }
    await Promise.all(this.informers.map((i) => i.start()));
    const order: Record<string, number> = { Node: 0, Service: 1, EndpointSlice: 2 };
    const initial = this.pending.sort((a, b) => (order[a.kind] ?? 9) - (order[b.kind] ?? 9));
    this.pending = [];
    this.live = true;
    if (initial.length) handlers.events(initial);
  }

  private endpointsChanged(ep: Endpoints, deleted: boolean): SourceEvent[] {
    const key = `${ep.metadata.namespace}/${ep.metadata.name}`;
    const before = this.fromEndpoints.get(key) ?? new Map<string, EndpointSlice>();
    const after = new Map<string, EndpointSlice>(
      deleted ? [] : slicesFromEndpoints(ep).map((s) => [s.metadata.name ?? "", s]),
    );
    const events: SourceEvent[] = [];
    for (const [name, s] of after)
      events.push({ kind: "EndpointSlice", op: before.has(name) ? "update" : "add", object: s });
    for (const [name, s] of before)
      if (!after.has(name)) events.push({ kind: "EndpointSlice", op: "delete", object: s });
    if (after.size) this.fromEndpoints.set(key, after);
    else this.fromEndpoints.delete(key);
    return events;
  }

  /** Informers for metrics (sizes, last contact). */
  get stats(): { name: string; size: number; lastContactAt: number }[] {
    return this.informers.map((i) => ({
      name: i.options.name ?? i.options.path,
      size: i.size,
      lastContactAt: i.stats.lastContactAt,
    }));
  }

  async stop(): Promise<void> {
    await Promise.all(this.informers.map((i) => i.stop()));
    this.informers = [];
    this.live = false;
  }
}
