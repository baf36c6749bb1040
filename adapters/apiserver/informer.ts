/**
 * A shared-informer in the client-go sense: list (paged), then watch from the list's resourceVersion
 * with bookmarks; a local store keyed by namespace/name; add/update/delete handlers.
 *
 * - 410 Gone (watch ERROR or expired continue token) → relist; the relist is diffed against the store,
 *   so handlers see exactly the changes they missed: nothing lost, nothing twice.
 * - A watch that ends cleanly (server timeout) is reopened from the last resourceVersion seen
 *   (events and bookmarks both advance it).
 * - Connection errors and API server restarts → exponential back-off, then re-watch (or relist).
 * - Events whose resourceVersion equals the stored one are dropped (replays after a reconnect).
 */
import type { Logger } from "../log/logger.ts";
import { ApiError, isGone } from "./api-error.ts";
import { Backoff, type BackoffOptions, sleep as defaultSleep } from "./backoff.ts";
import type { AnyObject, KubeClient, WatchEvent } from "./kube-client.ts";

export interface InformerOptions {
  client: KubeClient;
  /** Collection path, e.g. `/api/v1/pods` or `/apis/discovery.k8s.io/v1/endpointslices`. */
  path: string;
  fieldSelector?: string;
  labelSelector?: string;
  /** List page size (limit); 0 lists in one go. Default 500. */
  pageSize?: number;
  /** Server-side watch timeout (timeoutSeconds). Default 300–600 s at random, as client-go. */
  watchTimeoutSeconds?: number;
  /** Cut a watch that stays silent this long (ms). Default: 2 × watch timeout. */
  idleTimeoutMs?: number;
  backoff?: BackoffOptions;
  /** Injected sleep, for deterministic tests. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  now?: () => number;
  log?: Logger;
  /** Name used in logs and metrics (e.g. "pods"). */
  name?: string;
}

export interface InformerHandlers<T> {
  add?(obj: T): void;
  update?(oldObj: T, obj: T): void;
  delete?(obj: T): void;
}

export interface InformerStats {
  lists: number;
  relistsAfterGone: number;
  watches: number;
  errors: number;
  /** Delays slept after failures, ms (most recent last; bounded). */
  backoffs: number[];
  /** When the informer last heard from the server (list, event or bookmark), ms since epoch. */
  lastContactAt: number;
  resourceVersion: string;
}

export const objectKeyOf = (o: AnyObject): string =>
  `${o.metadata?.namespace ?? ""}/${o.metadata?.name ?? ""}`;

export class Informer<T extends AnyObject = AnyObject> {
  readonly options: InformerOptions;
  readonly stats: InformerStats = {
    lists: 0,
    relistsAfterGone: 0,
    watches: 0,
    errors: 0,
    backoffs: [],
    lastContactAt: 0,
    resourceVersion: "",
  };
  private readonly store = new Map<string, T>();
  private readonly handlers: InformerHandlers<T>[] = [];
  private readonly abort = new AbortController();
  private readonly backoff: Backoff;
  private loop: Promise<void> | undefined;
  private synced = false;
  private syncWaiters: (() => void)[] = [];

  constructor(options: InformerOptions) {
    this.options = options;
    this.backoff = new Backoff(options.backoff);
  }

  on(handlers: InformerHandlers<T>): this {
    this.handlers.push(handlers);
    return this;
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  list(): T[] {
    return [...this.store.values()];
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.store.get(`${namespace ?? ""}/${name}`);
  }

  get size(): number {
    return this.store.size;
  }

  /** Starts list/watch; resolves after the first complete list has been delivered. */
  start(): Promise<void> {
    if (!this.loop) this.loop = this.run();
    return this.waitForSync();
  }

  waitForSync(): Promise<void> {
    if (this.synced || this.abort.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  async stop(): Promise<void> {
    this.abort.abort();
    for (const w of this.syncWaiters) w();
    this.syncWaiters = [];
    await this.loop;
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  private emit(kind: "add" | "update" | "delete", obj: T, old?: T): void {
    for (const h of this.handlers) {
      try {
        if (kind === "add") h.add?.(obj);
        else if (kind === "update") h.update?.(old as T, obj);
        else h.delete?.(obj);
      } catch (err) {
        this.options.log?.error("informer handler failed", {
          informer: this.options.name ?? this.options.path,
          err,
        });
      }
    }
  }

  private async listAll(): Promise<{ items: T[]; resourceVersion: string }> {
    const pageSize = this.options.pageSize ?? 500;
    const items: T[] = [];
    let cont: string | undefined;
    let rv = "";
    do {
      const page = await this.options.client.get<{
        items?: T[];
        metadata?: { resourceVersion?: string; continue?: string };
      }>(this.options.path, {
        query: {
          fieldSelector: this.options.fieldSelector,
          labelSelector: this.options.labelSelector,
          limit: pageSize > 0 ? pageSize : undefined,
          continue: cont,
        },
        signal: this.abort.signal,
      });
      for (const item of page.items ?? []) items.push(item);
      rv = page.metadata?.resourceVersion ?? rv;
      cont = page.metadata?.continue || undefined;
    } while (cont);
    return { items, resourceVersion: rv };
  }

  /** Replaces the store with a fresh list, emitting the differences. */
  private async relist(): Promise<void> {
    const { items, resourceVersion } = await this.listAll();
    this.stats.lists++;
    const seen = new Set<string>();
    for (const item of items) {
      const key = objectKeyOf(item);
      seen.add(key);
      const old = this.store.get(key);
      this.store.set(key, item);
      if (!old) this.emit("add", item);
      else if (old.metadata?.resourceVersion !== item.metadata?.resourceVersion)
        this.emit("update", item, old);
    }
    for (const [key, old] of [...this.store]) {
      if (!seen.has(key)) {
        this.store.delete(key);
        this.emit("delete", old);
      }
    }
    this.stats.resourceVersion = resourceVersion;
    this.stats.lastContactAt = this.now();
    if (!this.synced) {
      this.synced = true;
      for (const w of this.syncWaiters) w();
      this.syncWaiters = [];
    }
  }

  private handle(e: WatchEvent): void {
    this.stats.lastContactAt = this.now();
    if (e.type === "ERROR") {
      const s = e.object as { code?: number; reason?: string; message?: string };
      throw new ApiError(
        "WATCH",
        this.options.path,
        s.code ?? 500,
        s.reason ?? "InternalError",
        s.message ?? "watch error",
      );
    }
    const obj = e.object as T;
    const rv = obj.metadata?.resourceVersion;
    if (rv) this.stats.resourceVersion = rv;
    if (e.type === "BOOKMARK") return;
    this.backoff.reset();
    const key = objectKeyOf(obj);
    const old = this.store.get(key);
    if (e.type === "DELETED") {
      if (old) {
        this.store.delete(key);
        this.emit("delete", obj);
      }
      return;
    }
    if (old && old.metadata?.resourceVersion === rv) return;
    this.store.set(key, obj);
    if (old) this.emit("update", obj, old);
    else this.emit("add", obj);
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    const sleep = this.options.sleep ?? defaultSleep;
    let needList = true;
    while (!signal.aborted) {
      try {
        if (needList) {
          await this.relist();
          needList = false;
        }
        this.stats.watches++;
        const timeout = this.options.watchTimeoutSeconds ?? Math.round(300 + 300 * Math.random());
        await this.options.client.watch(
          this.options.path,
          {
            fieldSelector: this.options.fieldSelector,
            labelSelector: this.options.labelSelector,
            resourceVersion: this.stats.resourceVersion,
            allowWatchBookmarks: true,
            timeoutSeconds: timeout,
          },
          (e) => this.handle(e),
          { signal, idleTimeoutMs: this.options.idleTimeoutMs ?? timeout * 2000 },
        );
      } catch (err) {
        if (signal.aborted) break;
        if (isGone(err)) {
          this.stats.relistsAfterGone++;
          this.options.log?.info("watch expired, relisting", {
            informer: this.options.name ?? this.options.path,
            resourceVersion: this.stats.resourceVersion,
          });
          needList = true;
          continue;
        }
        this.stats.errors++;
        const delay = this.backoff.next();
        this.stats.backoffs.push(delay);
        if (this.stats.backoffs.length > 50) this.stats.backoffs.shift();
        this.options.log?.warn("list/watch failed, backing off", {
          informer: this.options.name ?? this.options.path,
          err,
          delayMs: delay,
        });
        await sleep(delay, signal);
      }
    }
  }
}
