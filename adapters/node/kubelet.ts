import { rmdirSync, rmSync } from "node:fs";
import type { Container, ContainerStatus, Pod, PodStatus } from "../../core/api/mod.ts";
import { KiteError } from "../../core/errors/mod.ts";
import type { CriClient } from "../cri/mod.ts";
import { cri } from "../cri/mod.ts";
import type { Logger } from "../log/logger.ts";
import type { MetricsRegistry } from "../metrics/registry.ts";
import { podCgroupParent } from "./container-resources.ts";
import { podLogDir } from "./pod-paths.ts";
import type { PodSource, SourceError, SourceUpdate } from "./pod-source.ts";
import {
  Backoff,
  backOffKey,
  containerBackOff,
  imageBackOffKey,
  imageBackOffPeriodMs,
  maxImageBackOffMs,
  podConditions,
  podPhase,
  qosClass,
} from "./policy.ts";
import { ProberManager } from "./prober-manager.ts";
import { containerHash, ImagePullError, type RuntimeManager, sandboxHash } from "./runtime-manager.ts";
import {
  listRuntimePod,
  listRuntimePods,
  nsToMs,
  type RuntimeContainer,
  type RuntimePod,
} from "./runtime-pod.ts";
import type { StatusSink } from "./status-sink.ts";

export interface KubeletOptions {
  nodeName: string;
  nodeIp: string;
  cri: CriClient;
  runtime: RuntimeManager;
  sources: PodSource[];
  sinks: StatusSink[];
  log: Logger;
  metrics: MetricsRegistry;
  cgroupRoot: string;
  podLogsDir: string;
  rootDir: string;
  /** genericPlegRelistPeriod (1 s); longer when runtime events drive the PLEG. */
  relistPeriodMs?: number;
  /** How many pods are brought up at the same time (the rest wait their turn); 0 or unset = no limit. */
  parallelPodStarts?: number;
  /** syncFrequency (1 m): every pod is re-synced at least this often. */
  syncFrequencyMs?: number;
}

interface Reason {
  reason: string;
  message: string;
}

interface Worker {
  running: boolean;
  again: boolean;
  /** The PLEG saw a change while the worker ran (a re-sync is needed only if the worker did not see it itself). */
  plegAgain: boolean;
  timer?: ReturnType<typeof setTimeout>;
  dueAt?: number;
}

const isSidecar = (c: Container) => c.restartPolicy === "Always";
const key = (uid: string, name: string) => `${uid}/${name}`;

function iso(ms: number): string | undefined {
  return ms > 0 ? new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z") : undefined;
}

/**
 * The node agent: pod sources → one worker per pod → CRI; PLEG relist → workers; probes → workers; status → sinks.
 * All state lives in the runtime (labels, annotations), so a restarted daemon adopts what is running.
 */
export class Kubelet {
  readonly #o: KubeletOptions;
  readonly #desired = new Map<string, Pod>();
  /** Pods the eviction manager evicted: kept stopped, reported with this status (Failed, reason Evicted). */
  readonly #evicted = new Map<string, PodStatus>();
  readonly #terminating = new Set<string>();
  /** Grace periods from the API server's deletion (deletionGracePeriodSeconds), by uid. */
  readonly #graceOverrides = new Map<string, number>();
  #runtimePods = new Map<string, RuntimePod>();
  readonly #statusCache = new Map<string, cri.ContainerStatus>();
  readonly #sandboxIps = new Map<string, string>();
  /** Pods this daemon asked the runtime to make a sandbox for (until they are terminated). */
  readonly #sandboxesMade = new Set<string>();
  /** The runtime state (fingerprint) each pod's worker last published status from. */
  readonly #workerSaw = new Map<string, string>();
  #relistedOnce = false;
  readonly #workers = new Map<string, Worker>();
  /** Crash-loop back-off (10 s doubling to 5 m) and image-pull back-off, as the kubelet keeps them. */
  readonly #backoff = new Backoff();
  readonly #imageBackoff = new Backoff({ initialMs: imageBackOffPeriodMs, maxMs: maxImageBackOffMs });
  readonly #reasons = new Map<string, Reason>();
  readonly #statuses = new Map<string, Pod>();
  readonly #startTimes = new Map<string, number>();
  readonly #sourceErrors = new Map<string, SourceError[]>();
  readonly #sourcesSeen = new Set<string>();
  readonly prober: ProberManager;
  readonly #startSlots: Semaphore | undefined;
  #relistTimer?: ReturnType<typeof setTimeout>;
  #resyncTimer?: ReturnType<typeof setInterval>;
  #stopped = false;
  /** Last successful PLEG relist and last sync-loop iteration (for /healthz). */
  lastRelistMs = 0;
  lastSyncLoopMs = 0;
  #relistWanted = false;
  readonly #m;

  constructor(options: KubeletOptions) {
    this.#o = options;
    this.#relistPeriodMs = options.relistPeriodMs ?? 1000;
    this.#startSlots = options.parallelPodStarts ? new Semaphore(options.parallelPodStarts) : undefined;
    this.prober = new ProberManager({
      cri: options.cri,
      log: options.log,
      metrics: options.metrics,
      onChange: (uid) => this.#enqueue(uid),
    });
    const r = options.metrics;
    this.#m = {
      relist: r.histogram(
        "kubelet_pleg_relist_duration_seconds",
        "Duration in seconds for relisting pods in PLEG.",
      ),
      relistInterval: r.histogram(
        "kubelet_pleg_relist_interval_seconds",
        "Interval in seconds between relisting in PLEG.",
      ),
      podWorker: r.histogram(
        "kubelet_pod_worker_duration_seconds",
        "Duration in seconds to sync a single pod.",
        [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      ),
      podStart: r.histogram(
        "kubelet_pod_start_duration_seconds",
        "Duration in seconds from kubelet seeing a pod for the first time to the pod starting to run",
        [0.5, 1, 2, 3, 4, 5, 6, 8, 10, 20, 30, 45, 60, 120],
      ),
      running: r.gauge("kubelet_running_pods", "Number of pods that have a running pod sandbox"),
      containers: r.gauge("kubelet_running_containers", "Number of containers currently running"),
      restarts: r.counter(
        "kubelet_restarted_pods_total",
        "Number of pods that have been restarted because they were deleted and recreated with the same UID while the kubelet was watching them",
      ),
      runtimeErrors: r.counter(
        "kubelet_runtime_operations_errors_total",
        "Cumulative number of runtime operation errors by operation type.",
      ),
      started: r.counter("kubelet_started_containers_total", "Cumulative number of containers started"),
      startedErrors: r.counter(
        "kubelet_started_containers_errors_total",
        "Cumulative number of errors when starting containers",
      ),
      evictions: r.counter("kubelet_evictions", "Cumulative number of pod evictions by eviction signal"),
    };
  }

  /** Starts sources, the PLEG and the periodic resync. Resolves once every source delivered its first snapshot. */
  async start(): Promise<void> {
    this.lastRelistMs = Date.now();
    this.lastSyncLoopMs = Date.now();
    await this.#relist();
    for (const s of this.#o.sources) await s.start((u) => this.#onSourceUpdate(u));
    this.#scheduleRelist();
    this.#resyncTimer = setInterval(() => {
      this.lastSyncLoopMs = Date.now();
      for (const uid of this.#desired.keys()) this.#enqueue(uid);
      this.#cleanupOrphans();
    }, this.#o.syncFrequencyMs ?? 60_000);
    this.#resyncTimer.unref?.();
  }

  /** Stops the loops; pods keep running (a restarted daemon adopts them). */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#relistTimer);
    clearInterval(this.#resyncTimer);
    for (const s of this.#o.sources) s.stop();
    for (const w of this.#workers.values()) clearTimeout(w.timer);
    this.prober.stopAll();
  }

  /** Asks for a relist soon (runtime event arrived); events during a relist coalesce into one more relist. */
  requestRelist(): void {
    if (this.#stopped) return;
    this.#relistWanted = true;
    if (this.#relistRunning) return;
    clearTimeout(this.#relistTimer);
    this.#relistTimer = setTimeout(() => this.#relistLoop(), this.#eventRelistDelay());
  }

  /**
   * Event-driven relists are spaced by at least 100 ms (from the end of the last one), so a burst of runtime
   * events (pods starting together) costs a few relists instead of one per event and leaves the runtime to the
   * starts.
   */
  #eventRelistDelay(): number {
    return Math.max(20, Math.ceil(this.#lastRelistEnd + 100 - performance.now()));
  }

  #lastRelistEnd = 0;

  #relistPeriodMs = 1000;
  #relistRunning = false;

  /** Changes the relist period (slow while runtime events drive the PLEG, 1 s without them). */
  setRelistPeriod(ms: number): void {
    const faster = ms < this.#relistPeriodMs;
    this.#relistPeriodMs = ms;
    if (faster) this.requestRelist();
  }

  #scheduleRelist(): void {
    if (this.#stopped) return;
    clearTimeout(this.#relistTimer);
    this.#relistTimer = setTimeout(
      () => this.#relistLoop(),
      this.#relistWanted ? this.#eventRelistDelay() : this.#relistPeriodMs,
    );
  }

  async #relistLoop(): Promise<void> {
    if (this.#relistRunning) return;
    this.#relistRunning = true;
    this.#relistWanted = false;
    try {
      await this.#relist();
    } finally {
      this.#lastRelistEnd = performance.now();
      this.#relistRunning = false;
      this.#scheduleRelist();
    }
  }

  /** The PLEG: lists sandboxes and containers, compares with the last relist, wakes the workers of changed pods. */
  async #relist(): Promise<void> {
    const t0 = performance.now();
    let next: Map<string, RuntimePod>;
    try {
      next = await listRuntimePods(this.#o.cri);
    } catch (e) {
      this.#o.log.error("PLEG relist failed", { err: KiteError.from(e).message });
      return;
    }
    this.#relistedOnce = true;
    const now = Date.now();
    if (this.lastRelistMs) this.#m.relistInterval.observe((now - this.lastRelistMs) / 1000);
    this.lastRelistMs = now;
    const changed = new Set<string>();
    for (const [uid, p] of next) {
      const before = this.#runtimePods.get(uid);
      if (!before || fingerprint(before) !== fingerprint(p)) changed.add(uid);
    }
    for (const uid of this.#runtimePods.keys()) if (!next.has(uid)) changed.add(uid);
    this.#runtimePods = next;
    for (const uid of changed) {
      if (!this.#plegNews(uid)) continue;
      if (this.#desired.has(uid) || this.#terminating.has(uid)) this.#enqueue(uid, 0, true);
      else if (this.#sourcesReady() && next.has(uid)) this.#enqueue(uid, 0, true);
    }
    let runningPods = 0;
    let runningContainers = 0;
    for (const p of next.values()) {
      if (p.sandboxes.some((s) => s.ready)) runningPods++;
      runningContainers += p.containers.filter(
        (c) => c.state === cri.ContainerState.CONTAINER_RUNNING,
      ).length;
    }
    this.#m.running.set(runningPods);
    this.#m.containers.set(runningContainers);
    this.#m.relist.observe((performance.now() - t0) / 1000);
    this.#o.log.debug("relist", {
      pods: next.size,
      changed: changed.size,
      ms: Math.round(performance.now() - t0),
    });
  }

  /** Whether the last relist shows the pod otherwise than the state its worker last published status from. */
  #plegNews(uid: string): boolean {
    const rt = this.#runtimePods.get(uid);
    return (rt ? fingerprint(rt) : "") !== this.#workerSaw.get(uid);
  }

  #sourcesReady(): boolean {
    return this.#o.sources.every((s) => this.#sourcesSeen.has(s.name));
  }

  #onSourceUpdate(u: SourceUpdate): void {
    this.#sourcesSeen.add(u.source);
    const errorsBefore = JSON.stringify(this.sourceErrors());
    this.#sourceErrors.set(u.source, u.errors);
    if (JSON.stringify(this.sourceErrors()) !== errorsBefore) {
      for (const s of this.#o.sinks) s.sourceErrorsChanged?.(this.sourceErrors());
    }
    this.lastSyncLoopMs = Date.now();
    const incoming = new Map(u.pods.map((p) => [p.metadata.uid!, p]));
    for (const [uid, pod] of this.#desired) {
      const src = pod.metadata.annotations?.["kubernetes.io/config.source"];
      if (src === u.source && !incoming.has(uid)) {
        const grace = u.gracePeriods?.[uid];
        if (grace !== undefined) this.#graceOverrides.set(uid, grace);
        this.#desired.delete(uid);
        this.#terminating.add(uid);
        this.#o.log.info("pod removed from source, terminating", {
          pod: `${pod.metadata.namespace}/${pod.metadata.name}`,
          uid,
        });
        this.#enqueue(uid);
      }
    }
    for (const [uid, pod] of incoming) {
      if (!this.#desired.has(uid)) {
        this.#desired.set(uid, pod);
        this.#startTimes.set(uid, Date.now());
        this.#o.log.info("pod added", { pod: `${pod.metadata.namespace}/${pod.metadata.name}`, uid });
        this.#o.log.debug("trace", { pod: pod.metadata.name, step: "added", t: Date.now() });
        this.#enqueue(uid);
      }
    }
    this.#cleanupOrphans();
  }

  /** Kills runtime pods that no source wants (after a restart, or a manifest removed while the daemon was down). */
  #cleanupOrphans(): void {
    if (!this.#sourcesReady()) return;
    for (const uid of this.#runtimePods.keys()) {
      if (!this.#desired.has(uid) && !this.#terminating.has(uid)) {
        this.#terminating.add(uid);
        this.#enqueue(uid);
      }
    }
  }

  /** Source errors (file and field), for status output. */
  sourceErrors(): SourceError[] {
    return [...this.#sourceErrors.values()].flat();
  }

  /** The pods with their current status (the /pods view). */
  pods(): Pod[] {
    return [...this.#statuses.values()];
  }

  runtimePods(): RuntimePod[] {
    return [...this.#runtimePods.values()];
  }

  desiredPods(): Pod[] {
    return [...this.#desired.values()];
  }

  #enqueue(uid: string, delayMs = 0, fromPleg = false): void {
    if (this.#stopped) return;
    let w = this.#workers.get(uid);
    if (!w) {
      w = { running: false, again: false, plegAgain: false };
      this.#workers.set(uid, w);
    }
    const worker = w;
    if (delayMs > 0) {
      const due = Date.now() + delayMs;
      if (worker.timer && worker.dueAt !== undefined && worker.dueAt <= due) return;
      clearTimeout(worker.timer);
      worker.dueAt = due;
      worker.timer = setTimeout(() => {
        worker.timer = undefined;
        worker.dueAt = undefined;
        this.#enqueue(uid);
      }, delayMs);
      return;
    }
    if (worker.running) {
      if (fromPleg) worker.plegAgain = true;
      else worker.again = true;
      return;
    }
    worker.running = true;
    queueMicrotask(() => this.#runWorker(uid, worker));
  }

  async #runWorker(uid: string, w: Worker): Promise<void> {
    do {
      w.again = false;
      w.plegAgain = false;
      const t0 = performance.now();
      try {
        const requeue = await this.#syncPod(uid);
        if (requeue !== undefined) this.#enqueue(uid, requeue);
      } catch (e) {
        this.#m.runtimeErrors.inc({ operation_type: "sync_pod" });
        this.#o.log.error("error syncing pod, will retry", { uid, err: KiteError.from(e).message });
        this.#enqueue(uid, 2_000);
      }
      this.#m.podWorker.observe((performance.now() - t0) / 1000, { sync_type: "sync" });
    } while (!this.#stopped && (w.again || (w.plegAgain && this.#plegNews(uid))));
    w.running = false;
    if (!this.#desired.has(uid) && !this.#terminating.has(uid) && !w.timer) this.#workers.delete(uid);
  }

  async #containerStatus(c: RuntimeContainer): Promise<cri.ContainerStatus | undefined> {
    const cached = this.#statusCache.get(c.id);
    if (cached && cached.state === c.state) return cached;
    try {
      const res = await this.#o.cri.runtime.containerStatus({ containerId: c.id });
      if (res.status) this.#statusCache.set(c.id, res.status);
      return res.status;
    } catch (e) {
      if (KiteError.from(e).code === "not_found") {
        this.#statusCache.delete(c.id);
        return undefined;
      }
      throw e;
    }
  }

  async #sandboxIp(id: string): Promise<string> {
    const known = this.#sandboxIps.get(id);
    if (known !== undefined) return known;
    const st = await this.#o.cri.runtime.podSandboxStatus({ podSandboxId: id });
    const ip = st.status?.network?.ip ?? "";
    this.#sandboxIps.set(id, ip);
    return ip;
  }

  /** One sync of one pod; returns a delay after which to sync again (back-off expiry), if any. */
  async #syncPod(uid: string): Promise<number | undefined> {
    const pod = this.#desired.get(uid);
    if (!pod) {
      await this.#terminatePod(uid);
      return undefined;
    }
    // With --parallel-pod-starts, pods being started (no sandbox yet) take a start slot from the sandbox to their
    // containers' start, so a burst finishes in waves (better median start latency on a small machine).
    const starting =
      !this.#sandboxesMade.has(uid) && !this.#runtimePods.get(uid)?.sandboxes.some((s) => s.ready);
    if (!starting || !this.#startSlots) return this.#syncPodInner(uid, pod);
    const slots = this.#startSlots;
    const t0 = Date.now();
    await slots.acquire();
    const t1 = Date.now();
    let held = true;
    const release = () => {
      if (!held) return;
      held = false;
      slots.release();
      this.#o.log.debug("pod start sync", {
        pod: pod.metadata.name,
        waitedMs: t1 - t0,
        tookMs: Date.now() - t1,
      });
    };
    try {
      return await this.#syncPodInner(uid, pod, release);
    } finally {
      release();
    }
  }

  /** `started` is called once the sync made its runtime changes (what follows is bookkeeping and status). */
  async #syncPodInner(uid: string, pod: Pod, started?: () => void): Promise<number | undefined> {
    this.#o.log.debug("trace", { pod: pod.metadata.name, step: "sync", t: Date.now() });
    if (this.#evicted.has(uid)) {
      // Evicted pods stay stopped until the API server deletes them (whatever their restart policy).
      await this.#publish(pod, await listRuntimePod(this.#o.cri, uid));
      return undefined;
    }
    // A pod the runtime has never held (not in a successful relist, no sandbox made for it here) is not listed
    // again: upstream's pod worker likewise starts a new pod from the PLEG cache.
    const unknown = this.#relistedOnce && !this.#runtimePods.has(uid) && !this.#sandboxesMade.has(uid);
    let rt = unknown ? undefined : await listRuntimePod(this.#o.cri, uid);
    const sandbox = rt?.sandboxes[0];
    const wantHash = sandboxHash(pod);
    // ConfigMap/Secret volumes: filled before the sandbox starts, refreshed on every sync after that.
    try {
      await this.#o.runtime.setUpPluginVolumes(pod);
    } catch (e) {
      const err = KiteError.from(e);
      if (sandbox?.ready) {
        this.#o.log.warn("refreshing a volume failed", {
          pod: `${pod.metadata.namespace}/${pod.metadata.name}`,
          err: err.rawMessage,
        });
      } else {
        this.#o.log.warn("volume setup failed", {
          pod: `${pod.metadata.namespace}/${pod.metadata.name}`,
          err: err.rawMessage,
        });
        for (const c of pod.spec.containers) {
          this.#reasons.set(key(uid, c.name), { reason: "ContainerCreating", message: err.rawMessage });
        }
        await this.#publish(pod, rt);
        throw e;
      }
    }
    let sandboxId: string;
    let sandboxAttempt: number;
    let podIp: string;
    const imageLookups = new Map<string, Promise<cri.Image | undefined>>();
    if (!sandbox?.ready || (sandbox.hash && sandbox.hash !== wantHash)) {
      // A new sandbox: everything from the old one goes.
      const status = this.#statuses.get(uid);
      if (status && isTerminalPhase(status.status?.phase) && pod.spec.restartPolicy !== "Always") {
        return undefined;
      }
      if (rt) await this.#killRuntimePod(pod, rt, pod.spec.terminationGracePeriodSeconds ?? 30, false);
      sandboxAttempt = sandbox ? sandbox.attempt + 1 : 0;
      this.#o.log.info("creating pod sandbox", {
        pod: `${pod.metadata.namespace}/${pod.metadata.name}`,
        attempt: sandboxAttempt,
      });
      // The images of the containers that start first are looked up while the sandbox is being created.
      const first = pod.spec.initContainers?.length ? [pod.spec.initContainers[0]!] : pod.spec.containers;
      for (const c of first) {
        const p = this.#o.runtime.prefetchImage(c);
        if (p) imageLookups.set(c.name, p);
      }
      const fresh = !rt || rt.containers.length === 0;
      this.#sandboxesMade.add(uid);
      try {
        const created = await this.#o.runtime.runSandbox(pod, sandboxAttempt);
        sandboxId = created.id;
        podIp = created.ip;
        this.#sandboxIps.set(created.id, created.ip);
        if (fresh) {
          // Nothing ran in this pod before: the runtime holds just the new sandbox (and stopped old ones), no
          // container, so no need to list it again.
          rt = {
            uid,
            name: pod.metadata.name!,
            namespace: pod.metadata.namespace!,
            sandboxes: [
              {
                id: created.id,
                ready: true,
                attempt: sandboxAttempt,
                createdAtMs: Date.now(),
                hash: wantHash,
              },
              ...(rt?.sandboxes ?? []).map((s) => ({ ...s, ready: false })),
            ],
            containers: [],
          };
        }
      } catch (e) {
        this.#m.runtimeErrors.inc({ operation_type: "run_podsandbox" });
        for (const c of pod.spec.containers) {
          this.#reasons.set(key(uid, c.name), {
            reason: "ContainerCreating",
            message: KiteError.from(e).message,
          });
        }
        await this.#publish(pod, await listRuntimePod(this.#o.cri, uid));
        throw e;
      }
      if (!fresh) rt = await listRuntimePod(this.#o.cri, uid);
    } else {
      sandboxId = sandbox.id;
      sandboxAttempt = sandbox.attempt;
      podIp = await this.#sandboxIp(sandbox.id);
    }
    const containers = [...(rt?.containers ?? [])];
    const latest = (name: string) => containers.find((c) => c.name === name);
    const now = Date.now();
    let requeue: number | undefined;
    const wantRequeue = (ms: number) => {
      requeue = requeue === undefined ? ms : Math.min(requeue, ms);
    };
    const policy = pod.spec.restartPolicy ?? "Always";

    // Liveness / startup failures and spec changes: kill the running instance (it restarts below per policy).
    for (const c of [...(pod.spec.initContainers ?? []), ...pod.spec.containers]) {
      const inst = latest(c.name);
      if (!inst || inst.state !== cri.ContainerState.CONTAINER_RUNNING) continue;
      const live = this.prober.result(inst.id, "liveness");
      const startup = this.prober.result(inst.id, "startup");
      const changed = inst.hash !== "" && inst.hash !== containerHash(c);
      if (live === "failure" || startup === "failure" || changed) {
        const probe = live === "failure" ? c.livenessProbe : c.startupProbe;
        const grace = probe?.terminationGracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30;
        const why = changed
          ? "definition changed"
          : `failed ${live === "failure" ? "liveness" : "startup"} probe`;
        this.#o.log.info(`Container ${c.name} ${why}, will be restarted`, {
          pod: `${pod.metadata.namespace}/${pod.metadata.name}`,
        });
        this.prober.retain(uid, new Set(containers.filter((x) => x.id !== inst.id).map((x) => x.id)));
        await this.#o.runtime.killContainer(inst.id, c.lifecycle?.preStop, podIp, grace);
        rt = await listRuntimePod(this.#o.cri, uid);
        containers.splice(0, containers.length, ...(rt?.containers ?? []));
      }
    }

    let acted = false;
    /** Containers this sync started (all its actions, when `onlyStarts`). */
    const startedNow: { id: string; c: Container; restartCount: number }[] = [];
    let onlyStarts = true;
    const start = async (c: Container, prev: RuntimeContainer | undefined): Promise<boolean> => {
      const k = key(uid, c.name);
      try {
        const lookup = imageLookups.get(c.name);
        imageLookups.delete(c.name);
        await this.#o.runtime.ensureImage(pod, c, this.#imageBackoff, Date.now(), lookup);
      } catch (e) {
        if (e instanceof ImagePullError) {
          this.#reasons.set(k, { reason: e.reason, message: e.message });
          if (e.reason !== "ImagePullBackOff") {
            this.#o.log.warn("image pull failed", {
              pod: `${pod.metadata.namespace}/${pod.metadata.name}`,
              container: c.name,
              reason: e.reason,
              err: e.message,
            });
          }
          // Right after a failed pull, look again soon (the pod then shows ImagePullBackOff); in back-off, retry
          // once it has run out.
          const backoffMs = this.#imageBackoff.get(imageBackOffKey(pod, c.image ?? "")) || 10_000;
          wantRequeue(
            e.reason === "ErrImagePull" ? 1000 : e.reason === "ImagePullBackOff" ? backoffMs / 2 : backoffMs,
          );
          return false;
        }
        throw e;
      }
      const restartCount = prev ? prev.restartCount + 1 : 0;
      try {
        acted = true;
        const id = await this.#o.runtime.startContainer(
          pod,
          c,
          sandboxId,
          sandboxAttempt,
          restartCount,
          podIp,
        );
        startedNow.push({ id, c, restartCount });
        this.#m.started.inc({ container_type: "container" });
        this.#reasons.delete(k);
        return true;
      } catch (e) {
        onlyStarts = false;
        this.#m.startedErrors.inc({ container_type: "container", code: KiteError.from(e).code });
        this.#reasons.set(k, { reason: "CreateContainerError", message: KiteError.from(e).rawMessage });
        wantRequeue(10_000);
        return false;
      }
    };

    /** Restart of an exited instance, gated by crash-loop back-off (since the instance finished). */
    const restartWithBackoff = async (c: Container, inst: RuntimeContainer): Promise<boolean> => {
      const k = key(uid, c.name);
      const st = await this.#containerStatus(inst);
      const finished = st ? nsToMs(st.finishedAt) : now;
      const decision = containerBackOff(this.#backoff, pod, c.name, finished, now);
      if (decision.inBackOff) {
        this.#reasons.set(k, { reason: decision.reason, message: decision.message });
        wantRequeue(decision.until - now + 50);
        return false;
      }
      return start(c, inst);
    };

    // Init containers, in order.
    let initDone = true;
    for (const c of pod.spec.initContainers ?? []) {
      const inst = latest(c.name);
      if (isSidecar(c)) {
        if (!inst) {
          await start(c, undefined);
          initDone = false;
          break;
        }
        if (inst.state !== cri.ContainerState.CONTAINER_RUNNING) {
          await restartWithBackoff(c, inst);
          initDone = false;
          break;
        }
        if (!this.prober.started(inst.id)) {
          initDone = false;
          break;
        }
        continue;
      }
      if (!inst) {
        await start(c, undefined);
        initDone = false;
        break;
      }
      if (
        inst.state === cri.ContainerState.CONTAINER_RUNNING ||
        inst.state === cri.ContainerState.CONTAINER_CREATED
      ) {
        initDone = false;
        break;
      }
      const st = await this.#containerStatus(inst);
      if (st && st.exitCode === 0 && inst.state === cri.ContainerState.CONTAINER_EXITED) continue;
      // Failed init container.
      initDone = false;
      if (policy !== "Never") await restartWithBackoff(c, inst);
      break;
    }
    // A regular container that already ran means the pod initialized before (after a restart, init need not rerun).
    const regularStarted = pod.spec.containers.some((c) => latest(c.name));
    if (initDone || regularStarted) {
      for (const c of pod.spec.containers) {
        const inst = latest(c.name);
        if (!inst) {
          await start(c, undefined);
          continue;
        }
        if (
          inst.state === cri.ContainerState.CONTAINER_RUNNING ||
          inst.state === cri.ContainerState.CONTAINER_CREATED
        ) {
          continue;
        }
        if (policy === "Never") continue;
        const st = await this.#containerStatus(inst);
        if (policy === "OnFailure" && st?.exitCode === 0) continue;
        await restartWithBackoff(c, inst);
      }
    }
    started?.();
    if (acted) rt = await this.#afterStarts(uid, rt, onlyStarts ? startedNow : undefined, sandboxId);
    // Probe workers for running instances; none for the rest.
    const running = new Set<string>();
    for (const inst of rt?.containers ?? []) {
      if (inst.state !== cri.ContainerState.CONTAINER_RUNNING) continue;
      const spec = [...(pod.spec.initContainers ?? []), ...pod.spec.containers].find(
        (c) => c.name === inst.name,
      );
      if (!spec || latest(inst.name)?.id !== inst.id) {
        // Adopted or new instance not yet in `containers`: still probe it if it is the newest.
        const newest = rt?.containers.find((x) => x.name === inst.name);
        if (!spec || newest?.id !== inst.id) continue;
      }
      running.add(inst.id);
      const st = await this.#containerStatus(inst);
      this.prober.add({
        pod,
        container: spec,
        containerId: inst.id,
        podIp: podIp || this.#o.nodeIp,
        startedAtMs: st ? nsToMs(st.startedAt) : now,
      });
    }
    this.prober.retain(uid, running);
    const status = await this.#publish(pod, rt);
    if (isTerminalPhase(status.status?.phase) && policy !== "Always") {
      // Terminal: the sandbox is no longer needed.
      const sb = rt?.sandboxes[0];
      if (sb?.ready) await this.#o.runtime.stopSandbox(sb.id).catch(() => {});
    }
    return requeue;
  }

  /**
   * The pod's runtime view after a sync acted. When all it did was start containers, their ContainerStatus
   * (needed for the status anyway) is added to what the sync began from, instead of listing the pod again;
   * otherwise (or if a status cannot be read) the pod is listed.
   */
  async #afterStarts(
    uid: string,
    rt: RuntimePod | undefined,
    started: { id: string; c: Container; restartCount: number }[] | undefined,
    sandboxId: string,
  ): Promise<RuntimePod | undefined> {
    if (!rt || !started) return listRuntimePod(this.#o.cri, uid);
    const added: RuntimeContainer[] = [];
    for (const s of started) {
      const st = await this.#o.cri.runtime
        .containerStatus({ containerId: s.id })
        .then((r) => r.status)
        .catch(() => undefined);
      if (!st) return listRuntimePod(this.#o.cri, uid);
      this.#statusCache.set(s.id, st);
      added.push({
        id: s.id,
        name: s.c.name,
        sandboxId,
        state: st.state,
        createdAtMs: nsToMs(st.createdAt),
        restartCount: s.restartCount,
        hash: containerHash(s.c),
        imageRef: st.imageRef,
      });
    }
    added.sort((a, b) => b.createdAtMs - a.createdAtMs || b.restartCount - a.restartCount);
    return { ...rt, containers: [...added, ...rt.containers] };
  }

  /** Builds the pod's v1 status from the runtime, probe results and waiting reasons, and hands it to the sinks. */
  async #publish(pod: Pod, rt: RuntimePod | undefined): Promise<Pod> {
    const uid = pod.metadata.uid!;
    this.#workerSaw.set(uid, rt ? fingerprint(rt) : "");
    const sandbox = rt?.sandboxes[0];
    const podIp = sandbox?.ready ? await this.#sandboxIp(sandbox.id).catch(() => "") : "";
    const build = async (c: Container, regular: boolean, initRunning: boolean): Promise<ContainerStatus> => {
      const instances = (rt?.containers ?? []).filter((x) => x.name === c.name);
      const [cur, prev] = instances;
      const reason = this.#reasons.get(key(uid, c.name));
      const base: ContainerStatus = {
        name: c.name,
        ready: false,
        restartCount: cur?.restartCount ?? 0,
        image: c.image ?? "",
        imageID: "",
        started: false,
      };
      const terminated = async (inst: RuntimeContainer) => {
        const st = await this.#containerStatus(inst);
        return {
          exitCode: st?.exitCode ?? 137,
          reason: st?.reason || (st?.exitCode === 0 ? "Completed" : "Error"),
          ...(st?.message ? { message: st.message } : {}),
          startedAt: iso(st ? nsToMs(st.startedAt) : 0),
          finishedAt: iso(st ? nsToMs(st.finishedAt) : 0),
          containerID: `containerd://${inst.id}`,
        };
      };
      if (!cur) {
        base.state = {
          waiting: reason ?? { reason: regular && initRunning ? "PodInitializing" : "ContainerCreating" },
        };
        return base;
      }
      const st = await this.#containerStatus(cur);
      base.containerID = `containerd://${cur.id}`;
      base.imageID = st?.imageRef ?? cur.imageRef;
      base.image = st?.image?.image || base.image;
      if (cur.state === cri.ContainerState.CONTAINER_RUNNING) {
        const started = this.prober.started(cur.id);
        const readiness = this.prober.result(cur.id, "readiness");
        base.started = started;
        base.ready = started && (c.readinessProbe ? readiness === "success" : true);
        base.state = { running: { startedAt: iso(st ? nsToMs(st.startedAt) : 0) } };
        if (prev) base.lastState = { terminated: await terminated(prev) };
      } else if (cur.state === cri.ContainerState.CONTAINER_EXITED) {
        const t = await terminated(cur);
        const policy = pod.spec.restartPolicy ?? "Always";
        const willRestart =
          isSidecar(c) || policy === "Always" || (policy === "OnFailure" && t.exitCode !== 0);
        if (willRestart && reason) {
          base.state = { waiting: reason };
          base.lastState = { terminated: t };
        } else {
          base.state = { terminated: t };
          if (prev) base.lastState = { terminated: await terminated(prev) };
        }
      } else {
        base.state = { waiting: reason ?? { reason: "ContainerCreating" } };
      }
      return base;
    };
    const inits = pod.spec.initContainers ?? [];
    const initStatuses: ContainerStatus[] = [];
    for (const c of inits) initStatuses.push(await build(c, false, false));
    const initRunning = inits.some(
      (c, i) => !isSidecar(c) && initStatuses[i]?.state?.terminated?.exitCode !== 0,
    );
    const regular: ContainerStatus[] = [];
    for (const c of pod.spec.containers) regular.push(await build(c, true, initRunning));
    const prevStatus = this.#statuses.get(uid)?.status;
    let phase = podPhase(pod, initStatuses, regular, false);
    if (
      isTerminalPhase(prevStatus?.phase) &&
      !isTerminalPhase(phase) &&
      pod.spec.restartPolicy !== "Always"
    ) {
      phase = prevStatus!.phase!;
    }
    const conditions = podConditions(
      pod,
      phase,
      initStatuses,
      regular,
      sandbox ? { ready: sandbox.ready, ip: podIp, attempt: sandbox.attempt } : undefined,
      prevStatus?.conditions,
      new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
    );
    const ip = pod.spec.hostNetwork ? this.#o.nodeIp : podIp;
    const status: PodStatus = {
      phase,
      conditions,
      hostIP: this.#o.nodeIp,
      hostIPs: [{ ip: this.#o.nodeIp }],
      ...(ip ? { podIP: ip, podIPs: [{ ip }] } : {}),
      startTime: iso(this.#startTimes.get(uid) ?? Date.now()),
      ...(inits.length ? { initContainerStatuses: initStatuses } : {}),
      containerStatuses: regular,
      qosClass: qosClass(pod),
    };
    const evicted = this.#evicted.get(uid);
    if (evicted) {
      const types = new Set((evicted.conditions ?? []).map((c) => c.type));
      status.phase = "Failed";
      if (evicted.reason) status.reason = evicted.reason;
      if (evicted.message) status.message = evicted.message;
      status.conditions = [
        ...(status.conditions ?? []).filter((c) => !types.has(c.type)),
        ...(evicted.conditions ?? []),
      ];
    }
    const full: Pod = { ...pod, apiVersion: "v1", kind: "Pod", status };
    const before = JSON.stringify(prevStatus);
    this.#statuses.set(uid, full);
    if (before !== JSON.stringify(status)) {
      if (phase === "Running" && prevStatus?.phase !== "Running") {
        const seen = this.#startTimes.get(uid);
        if (seen) this.#m.podStart.observe((Date.now() - seen) / 1000);
      }
      for (const s of this.#o.sinks) s.podStatusChanged(full);
    }
    return full;
  }

  /** Stops a pod's containers (preStop, grace period) and, if `remove`, its sandboxes and files. */
  async #killRuntimePod(
    pod: Pod | undefined,
    rt: RuntimePod,
    graceSeconds: number,
    remove: boolean,
  ): Promise<void> {
    const ip = rt.sandboxes[0] ? await this.#sandboxIp(rt.sandboxes[0].id).catch(() => "") : "";
    const specs = pod ? [...(pod.spec.initContainers ?? []), ...pod.spec.containers] : [];
    const running = rt.containers.filter((c) => c.state === cri.ContainerState.CONTAINER_RUNNING);
    this.prober.removePod(rt.uid);
    const sidecarNames = new Set(specs.filter(isSidecar).map((c) => c.name));
    const kill = (list: RuntimeContainer[]) =>
      Promise.all(
        list.map(async (c) => {
          const spec = specs.find((s) => s.name === c.name);
          let preStop = spec?.lifecycle?.preStop;
          if (!preStop) {
            const st = await this.#containerStatus(c).catch(() => undefined);
            const raw = st?.annotations["io.kubernetes.container.preStopHandler"];
            if (raw) preStop = JSON.parse(raw);
          }
          await this.#o.runtime
            .killContainer(c.id, preStop, ip, graceSeconds)
            .catch((e) =>
              this.#o.log.warn("stopping container failed", { id: c.id, err: KiteError.from(e).message }),
            );
        }),
      );
    // Regular containers first, sidecars after (as the kubelet does).
    await kill(running.filter((c) => !sidecarNames.has(c.name)));
    await kill(running.filter((c) => sidecarNames.has(c.name)));
    for (const sb of rt.sandboxes) {
      if (sb.ready) await this.#o.runtime.stopSandbox(sb.id);
      if (remove) {
        await this.#o.runtime.removeSandbox(sb.id);
        this.#sandboxIps.delete(sb.id);
      }
    }
    if (remove) for (const c of rt.containers) this.#statusCache.delete(c.id);
  }

  /**
   * Evicts a pod (the eviction manager's killPodFunc): stops it within `graceSeconds`, keeps it stopped and
   * reports `status` (phase Failed, reason Evicted, the message, DisruptionTarget) through the status sinks.
   * Returns false when the pod is not (or no longer) one this node runs.
   */
  async evictPod(pod: Pod, graceSeconds: number, status: PodStatus, message: string): Promise<boolean> {
    const uid = pod.metadata.uid ?? "";
    const current = this.#desired.get(uid);
    if (!current || this.#evicted.has(uid)) return false;
    this.#evicted.set(uid, status);
    const rt = await listRuntimePod(this.#o.cri, uid);
    this.#o.log.warn("evicting pod", {
      pod: `${current.metadata.namespace}/${current.metadata.name}`,
      gracePeriod: graceSeconds,
      message,
    });
    if (rt) await this.#killRuntimePod(current, rt, graceSeconds, false);
    const full = await this.#publish(current, await listRuntimePod(this.#o.cri, uid));
    for (const s of this.#o.sinks) s.podEvicted?.(full, message);
    return true;
  }

  async #terminatePod(uid: string): Promise<void> {
    const rt = await listRuntimePod(this.#o.cri, uid);
    const last = this.#statuses.get(uid);
    const grace = this.#graceOverrides.get(uid) ?? last?.spec.terminationGracePeriodSeconds ?? 30;
    if (rt) {
      this.#o.log.info("killing pod", { pod: `${rt.namespace}/${rt.name}`, uid, gracePeriod: grace });
      await this.#killRuntimePod(last, rt, grace, true);
    }
    this.#o.runtime.cleanupPodDir(uid);
    if (last) {
      rmSync(podLogDir({ rootDir: this.#o.rootDir, podLogsDir: this.#o.podLogsDir }, last), {
        recursive: true,
        force: true,
      });
      removePodCgroup(podCgroupParent(last, this.#o.cgroupRoot));
    }
    this.#terminating.delete(uid);
    this.#sandboxesMade.delete(uid);
    this.#workerSaw.delete(uid);
    this.#evicted.delete(uid);
    this.#graceOverrides.delete(uid);
    this.#statuses.delete(uid);
    this.#startTimes.delete(uid);
    for (const k of [...this.#reasons.keys()]) if (k.startsWith(`${uid}/`)) this.#reasons.delete(k);
    if (last) {
      for (const c of [...(last.spec.initContainers ?? []), ...last.spec.containers]) {
        this.#backoff.reset(backOffKey(last, c.name));
        this.#imageBackoff.reset(imageBackOffKey(last, c.image ?? ""));
      }
    }
    this.#backoff.gc(Date.now());
    this.#imageBackoff.gc(Date.now());
    if (last) for (const s of this.#o.sinks) s.podRemoved(last);
  }
}

/** A counting semaphore (FIFO). */
class Semaphore {
  #free: number;
  readonly #waiting: (() => void)[] = [];
  constructor(n: number) {
    this.#free = Math.max(1, n);
  }
  async acquire(): Promise<void> {
    if (this.#free > 0) {
      this.#free--;
      return;
    }
    await new Promise<void>((r) => this.#waiting.push(r));
  }
  release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#free++;
  }
}

function isTerminalPhase(phase: string | undefined): boolean {
  return phase === "Succeeded" || phase === "Failed";
}

const fingerprints = new WeakMap<RuntimePod, string>();

/** What the PLEG compares between relists: sandbox ids and readiness, container ids and states (memoised). */
function fingerprint(p: RuntimePod): string {
  let f = fingerprints.get(p);
  if (f === undefined) {
    f = `${p.sandboxes.map((s) => `${s.id}:${s.ready}`).join(",")}|${p.containers.map((c) => `${c.id}:${c.state}`).join(",")}`;
    fingerprints.set(p, f);
  }
  return f;
}

/** Best-effort removal of a pod's cgroup folders (cgroupfs driver, v1 and v2 layouts). */
function removePodCgroup(parent: string): void {
  const controllers = [
    "cpu",
    "cpuacct",
    "cpuset",
    "memory",
    "pids",
    "blkio",
    "devices",
    "freezer",
    "systemd",
    "hugetlb",
    "net_cls",
    "perf_event",
    "unified",
  ];
  for (const d of [...controllers.map((c) => `/sys/fs/cgroup/${c}${parent}`), `/sys/fs/cgroup${parent}`]) {
    try {
      rmdirSync(d);
    } catch {
      // not there, or not empty yet
    }
  }
}
