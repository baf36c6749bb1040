/**
 * kite node as a cluster member, in one object the node daemon plugs in:
 * - `podSource` (the "api" PodSource: pods bound to this node) goes into the kubelet's sources;
 * - `statusSink` (a StatusSink) goes into its sinks: pod status to pods/status (static pods: to their
 *   mirror pod), mirror pod creation/replacement/removal, the final delete with grace 0 of pods the API
 *   server marked for deletion once the node stopped them;
 * - `start()` registers the Node, then keeps the Lease (10 s) and node status (10 s, posted on change or
 *   every 5 min) going.
 * Writes that fail while the API server is away are kept (newest status per pod) and retried with
 * back-off; the pods keep running meanwhile.
 */
import type { ContainerImage, Pod, PodStatus } from "../../core/api/mod.ts";
import type { Logger } from "../log/logger.ts";
import type { MetricsRegistry } from "../metrics/registry.ts";
import type { SourceError } from "../node/pod-source.ts";
import type { StatusSink } from "../node/status-sink.ts";
import { ApiPodSource, configSourceAnnotation } from "./api-pod-source.ts";
import { Backoff } from "./backoff.ts";
import { recordEvent } from "./events.ts";
import type { KubeClient } from "./kube-client.ts";
import { MirrorPodManager } from "./mirror-pods.ts";
import { NodeLease } from "./node-lease.ts";
import type { NodeConfig, NodeHealth } from "./node-object.ts";
import { registerWithApiServer } from "./node-registration.ts";
import { NodeStatusReporter } from "./node-status.ts";
import { evictedStatus, type PodRef, PodStatusWriter, refOf } from "./pod-status-writer.ts";

export interface ClusterNodeOptions {
  client: KubeClient;
  config: NodeConfig;
  health: () => NodeHealth;
  /** Images on the node, for status.images (optional). */
  images?: () => ContainerImage[];
  log?: Logger;
  metrics?: MetricsRegistry;
  now?: () => Date;
  /** nodeStatusUpdateFrequency (default 10 s). */
  statusIntervalMs?: number;
  /** nodeStatusReportFrequency (default 5 min). */
  statusReportIntervalMs?: number;
  leaseDurationSeconds?: number;
  /** housekeepingPeriod: how often terminating pods the runtime no longer has are finished (default 2 s). */
  housekeepingIntervalMs?: number;
  /** Maintain the pressure taints from the node (default true). */
  pressureTaints?: boolean;
}

const podKey = (p: Pod) => `${p.metadata.namespace ?? "default"}/${p.metadata.name ?? ""}`;
const isStatic = (p: Pod) => (p.metadata.annotations?.[configSourceAnnotation] ?? "api") !== "api";

type Job =
  | { kind: "status"; ref: PodRef; status: PodStatus }
  | { kind: "delete"; ref: PodRef }
  | { kind: "mirrors" };

export class ClusterNode {
  readonly options: ClusterNodeOptions;
  readonly podSource: ApiPodSource;
  readonly writer: PodStatusWriter;
  readonly statusSink: StatusSink;
  lease: NodeLease | undefined;
  reporter: NodeStatusReporter | undefined;
  mirrors: MirrorPodManager | undefined;
  private readonly staticPods = new Map<string, Pod>();
  /** Pending writes, newest per key, drained in order. */
  private readonly queue = new Map<string, Job>();
  private draining = false;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly backoff = new Backoff({ initialMs: 500, maxMs: 30_000 });
  private stopped = false;
  /** Failed API writes so far (each is retried). */
  writeFailures = 0;

  constructor(options: ClusterNodeOptions) {
    this.options = options;
    this.podSource = new ApiPodSource({
      client: options.client,
      nodeName: options.config.nodeName,
      ...(options.log ? { log: options.log } : {}),
    });
    this.writer = new PodStatusWriter(options.client, options.log);
    // Mirror pods changed in the API (deleted by someone, replaced): re-check them.
    const recheck = (p: Pod) => {
      if (p.metadata.annotations?.["kubernetes.io/config.mirror"] !== undefined)
        this.enqueue("mirrors", { kind: "mirrors" });
    };
    // A mirror pod that (re)appears gets the newest status of its static pod at once.
    const mirrorAdded = (p: Pod) => {
      if (p.metadata.annotations?.["kubernetes.io/config.mirror"] === undefined) return;
      const sp = this.staticPods.get(podKey(p));
      if (sp?.status)
        this.enqueue(`status/${podKey(sp)}`, { kind: "status", ref: refOf(p), status: sp.status });
    };
    this.podSource.informer.on({ add: mirrorAdded, update: (_, p) => recheck(p), delete: recheck });
    this.statusSink = {
      podStatusChanged: (pod) => this.podStatusChanged(pod),
      podRemoved: (pod) => this.podRemoved(pod),
      // The Evicted status itself arrives through podStatusChanged; here only the Warning event.
      podEvicted: (pod, message) =>
        void recordEvent(
          options.client,
          options.config.nodeName,
          { involved: pod, type: "Warning", reason: "Evicted", message },
          this.now(),
        ).catch((err) => options.log?.warn("failed to record event", { err })),
      sourceErrorsChanged: (errors: SourceError[]) => {
        if (errors.length) options.log?.warn("pod source errors", { count: errors.length });
      },
    };
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  /** Registers the Node (retrying until the API server accepts), then starts lease and status loops. */
  async start(): Promise<void> {
    const { client, config, log } = this.options;
    const node = await registerWithApiServer({
      client,
      config,
      ...(log ? { log } : {}),
      ...(this.options.now ? { now: this.options.now } : {}),
    });
    const nodeRef = { name: config.nodeName, uid: node.metadata.uid ?? "" };
    this.mirrors = new MirrorPodManager(client, nodeRef, log);
    this.lease = new NodeLease({
      client,
      nodeName: config.nodeName,
      nodeUid: nodeRef.uid,
      durationSeconds: this.options.leaseDurationSeconds ?? 40,
      ...(log ? { log } : {}),
      ...(this.options.now ? { now: this.options.now } : {}),
    });
    this.reporter = new NodeStatusReporter({
      client,
      config,
      health: () => this.health(),
      images: () => this.images(),
      reportIntervalMs: this.options.statusReportIntervalMs ?? 5 * 60_000,
      pressureTaints: this.options.pressureTaints ?? true,
      ...(log ? { log } : {}),
      ...(this.options.now ? { now: this.options.now } : {}),
    });
    this.lease.start();
    this.reporter.start(this.options.statusIntervalMs ?? 10_000);
    this.housekeepingTimer = setInterval(
      () => this.housekeeping(),
      this.options.housekeepingIntervalMs ?? 2000,
    );
    this.housekeepingTimer.unref?.();
    this.enqueue("mirrors", { kind: "mirrors" });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.lease?.stop();
    this.reporter?.stop();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.housekeepingTimer) clearInterval(this.housekeepingTimer);
    this.podSource.stop();
    await this.podSource.informer.stop();
  }

  /** Writes the upstream Evicted status for a pod and records the Warning event. */
  async evict(pod: Pod, message: string): Promise<void> {
    const now = this.now();
    await this.writer.write(this.targetRef(pod) ?? refOf(pod), evictedStatus(pod, message, now));
    await recordEvent(
      this.options.client,
      this.options.config.nodeName,
      { involved: pod, type: "Warning", reason: "Evicted", message },
      now,
    ).catch((err) => this.options.log?.warn("failed to record event", { err }));
  }

  private runtimeHasPod: ((uid: string) => boolean) | undefined;
  private housekeepingTimer: ReturnType<typeof setInterval> | undefined;

  /**
   * Lets kite see which pods the runtime still has. With it, pods the API server marked for deletion that the
   * runtime no longer runs (for instance stopped while kite was down) are deleted with grace 0 by housekeeping.
   */
  setRuntimeView(hasPod: (uid: string) => boolean): void {
    this.runtimeHasPod = hasPod;
  }

  /** One housekeeping pass (HandlePodCleanups): finish deletions the node agent will not report. */
  housekeeping(): void {
    const has = this.runtimeHasPod;
    if (!has || !this.podSource.informer.hasSynced) return;
    for (const p of this.podSource.terminatingPods()) {
      const uid = p.metadata.uid ?? "";
      if (!has(uid)) this.enqueue(`delete/${podKey(p)}`, { kind: "delete", ref: refOf(p) });
    }
  }

  private healthFn: (() => NodeHealth) | undefined;
  private imagesFn: (() => ContainerImage[]) | undefined;

  /** Replaces the health source (e.g. once the node daemon's eviction manager and runtime are up). */
  setHealth(fn: () => NodeHealth): void {
    this.healthFn = fn;
  }

  /** Sets where status.images comes from (e.g. the CRI image list). */
  setImages(fn: () => ContainerImage[]): void {
    this.imagesFn = fn;
  }

  private health(): NodeHealth {
    return (this.healthFn ?? this.options.health)();
  }

  private images(): ContainerImage[] {
    return (this.imagesFn ?? this.options.images)?.() ?? [];
  }

  /** Pending writes (for tests and metrics). */
  get pendingWrites(): number {
    return this.queue.size;
  }

  /** Where a pod's status goes: itself, or for a static pod its mirror pod (undefined until it exists). */
  private targetRef(pod: Pod): PodRef | undefined {
    if (!isStatic(pod)) return refOf(pod);
    const mirror = this.podSource.mirrorPods().find((m) => podKey(m) === podKey(pod));
    return mirror ? refOf(mirror) : undefined;
  }

  private podStatusChanged(pod: Pod): void {
    if (isStatic(pod)) {
      const key = podKey(pod);
      const known = this.staticPods.get(key);
      this.staticPods.set(key, pod);
      if (
        !known ||
        known.metadata.annotations?.["kubernetes.io/config.hash"] !==
          pod.metadata.annotations?.["kubernetes.io/config.hash"]
      ) {
        this.enqueue("mirrors", { kind: "mirrors" });
      }
    }
    if (!pod.status) return;
    const ref = this.targetRef(pod);
    if (ref) this.enqueue(`status/${podKey(pod)}`, { kind: "status", ref, status: pod.status });
  }

  private podRemoved(pod: Pod): void {
    const key = podKey(pod);
    this.queue.delete(`status/${key}`);
    if (isStatic(pod)) {
      this.staticPods.delete(key);
      this.enqueue("mirrors", { kind: "mirrors" });
      return;
    }
    const inApi = this.podSource.informer.get(pod.metadata.namespace ?? "default", pod.metadata.name ?? "");
    if (inApi?.metadata.deletionTimestamp && inApi.metadata.uid === pod.metadata.uid) {
      this.enqueue(`delete/${key}`, { kind: "delete", ref: refOf(inApi) });
    }
  }

  private enqueue(key: string, job: Job): void {
    this.queue.delete(key);
    this.queue.set(key, job);
    void this.drain();
  }

  /** Runs queued writes in order; on failure keeps the rest and retries after a back-off. */
  private async drain(): Promise<void> {
    if (this.draining || this.stopped || this.retryTimer) return;
    this.draining = true;
    try {
      while (this.queue.size > 0 && !this.stopped) {
        const [key, job] = this.queue.entries().next().value as [string, Job];
        try {
          await this.run(job);
          if (this.queue.get(key) === job) this.queue.delete(key);
          this.backoff.reset();
        } catch (err) {
          this.writeFailures++;
          const delay = this.backoff.next();
          this.options.log?.warn("API server write failed; will retry", { job: key, err, retryInMs: delay });
          this.retryTimer = setTimeout(() => {
            this.retryTimer = undefined;
            void this.drain();
          }, delay);
          return;
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private async run(job: Job): Promise<void> {
    if (job.kind === "status") await this.writer.write(job.ref, job.status);
    else if (job.kind === "delete") await this.writer.deleteTerminated(job.ref);
    else if (this.mirrors) {
      await this.mirrors.sync([...this.staticPods.values()], this.podSource.mirrorPods());
    }
  }
}
