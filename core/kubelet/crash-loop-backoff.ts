import type { Pod } from "../api/mod.ts";
import { formatDuration } from "../duration/mod.ts";

/** Initial container restart back-off (containerBackOffPeriod). */
export const containerBackOffPeriodMs = 10_000;
/** Largest container restart back-off (MaxContainerBackOff). */
export const maxContainerBackOffMs = 300_000;
/** Image pull back-off: the same 10 s doubling to 300 s (imageBackOffPeriod / MaxImageBackOff). */
export const imageBackOffPeriodMs = 10_000;
export const maxImageBackOffMs = 300_000;

interface Entry {
  backoffMs: number;
  lastUpdate: number;
}

/**
 * Per-key exponential back-off (client-go flowcontrol.Backoff): starts at `initialMs`, doubles on each `next`,
 * capped at `maxMs`; an entry not updated for 2 × maxMs (10 min by default) starts over.
 */
export class Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly #entries = new Map<string, Entry>();

  constructor(options: { initialMs?: number; maxMs?: number } = {}) {
    this.initialMs = options.initialMs ?? containerBackOffPeriodMs;
    this.maxMs = options.maxMs ?? maxContainerBackOffMs;
  }

  #expired(eventTime: number, lastUpdate: number): boolean {
    return eventTime - lastUpdate > 2 * this.maxMs;
  }

  /** The current back-off of `key` (0 when none). */
  get(key: string): number {
    return this.#entries.get(key)?.backoffMs ?? 0;
  }

  /** Records a failure at `eventTime`, observed at `now`: starts or doubles the back-off. */
  next(key: string, eventTime: number, now: number): number {
    const e = this.#entries.get(key);
    let backoffMs: number;
    if (!e || this.#expired(eventTime, e.lastUpdate)) backoffMs = this.initialMs;
    else backoffMs = Math.min(e.backoffMs * 2, this.maxMs);
    this.#entries.set(key, { backoffMs, lastUpdate: now });
    return backoffMs;
  }

  /** Whether `now` is still within the back-off that started at `eventTime`. */
  isInBackOffSince(key: string, eventTime: number, now: number): boolean {
    const e = this.#entries.get(key);
    if (!e || this.#expired(now, e.lastUpdate)) return false;
    return now - eventTime < e.backoffMs;
  }

  /** Whether `eventTime` is within the back-off counted from the last `next` (IsInBackOffSinceUpdate). */
  isInBackOffSinceUpdate(key: string, eventTime: number): boolean {
    const e = this.#entries.get(key);
    if (!e || this.#expired(eventTime, e.lastUpdate)) return false;
    return eventTime - e.lastUpdate < e.backoffMs;
  }

  /** When the back-off that started at `eventTime` ends (undefined when not backing off). */
  backOffUntil(key: string, eventTime: number, now: number): number | undefined {
    if (!this.isInBackOffSince(key, eventTime, now)) return undefined;
    return eventTime + this.get(key);
  }

  reset(key: string): void {
    this.#entries.delete(key);
  }

  /** Drops entries idle for more than 2 × maxMs (GC). */
  gc(now: number): void {
    for (const [key, e] of this.#entries) if (this.#expired(now, e.lastUpdate)) this.#entries.delete(key);
  }

  get size(): number {
    return this.#entries.size;
  }
}

/** "name_namespace(uid)", as the kubelet prints a pod (format.Pod). */
export function formatPod(pod: Pick<Pod, "metadata">): string {
  return `${pod.metadata.name ?? ""}_${pod.metadata.namespace ?? ""}(${pod.metadata.uid ?? ""})`;
}

/** The back-off key of one container of one pod (getStableKey, without the spec hash). */
export function backOffKey(pod: Pick<Pod, "metadata">, containerName: string): string {
  return `${pod.metadata.name ?? ""}_${pod.metadata.namespace ?? ""}_${pod.metadata.uid ?? ""}_${containerName}`;
}

export type ContainerBackOffDecision =
  | { inBackOff: false }
  | { inBackOff: true; reason: "CrashLoopBackOff"; message: string; until: number };

/**
 * Whether to start a dead container again now (kuberuntime doBackOff): while the back-off that began when it
 * last finished is running, the answer is CrashLoopBackOff with "back-off 20s restarting failed container=c
 * pod=p_ns(uid)"; otherwise the failure is recorded (the back-off doubles) and the container may start.
 * `lastFinishedAt` is the finish time of its newest exited instance (undefined = never exited: no back-off).
 */
export function containerBackOff(
  backoff: Backoff,
  pod: Pick<Pod, "metadata">,
  containerName: string,
  lastFinishedAt: number | undefined,
  now: number,
): ContainerBackOffDecision {
  if (lastFinishedAt === undefined) return { inBackOff: false };
  const key = backOffKey(pod, containerName);
  if (backoff.isInBackOffSince(key, lastFinishedAt, now)) {
    return {
      inBackOff: true,
      reason: "CrashLoopBackOff",
      message: `back-off ${formatDuration(backoff.get(key))} restarting failed container=${containerName} pod=${formatPod(pod)}`,
      until: lastFinishedAt + backoff.get(key),
    };
  }
  backoff.next(key, lastFinishedAt, now);
  return { inBackOff: false };
}
