import type { SignalObservations } from "./eviction-observations.ts";
import { type NodeConditionType, signalToNodeCondition } from "./eviction-signals.ts";
import { sameThreshold, type Threshold, thresholdKey, thresholdQuantity } from "./eviction-threshold.ts";

/**
 * The thresholds whose signal is past them (upstream `thresholdsMet`): met when threshold quantity (plus
 * min-reclaim with `enforceMinReclaim`) > available. Unobserved signals are skipped.
 */
export function thresholdsMet(
  thresholds: readonly Threshold[],
  observations: SignalObservations,
  enforceMinReclaim: boolean,
): Threshold[] {
  const out: Threshold[] = [];
  for (const t of thresholds) {
    const observed = observations[t.signal];
    if (!observed) continue;
    const capacity = observed.capacity ?? 0;
    let quantity = thresholdQuantity(t.value, capacity);
    if (enforceMinReclaim && t.minReclaim) quantity += thresholdQuantity(t.minReclaim, capacity);
    if (quantity > observed.available) out.push(t);
  }
  return out;
}

/** Union of two threshold lists without duplicates (mergeThresholds). */
export function mergeThresholds(a: readonly Threshold[], b: readonly Threshold[]): Threshold[] {
  const out = [...a];
  for (const t of b) if (!out.some((x) => sameThreshold(x, t))) out.push(t);
  return out;
}

/** When each threshold was first seen met (ms), keeping earlier times (thresholdsFirstObservedAt). */
export type ThresholdsObservedAt = Map<string, { threshold: Threshold; at: number }>;

export function thresholdsFirstObservedAt(
  thresholds: readonly Threshold[],
  lastObservedAt: ThresholdsObservedAt,
  now: number,
): ThresholdsObservedAt {
  const out: ThresholdsObservedAt = new Map();
  for (const t of thresholds) {
    const key = thresholdKey(t);
    out.set(key, { threshold: t, at: lastObservedAt.get(key)?.at ?? now });
  }
  return out;
}

/** The thresholds whose grace period has passed: now − firstObserved ≥ grace (thresholdsMetGracePeriod). */
export function thresholdsMetGracePeriod(observedAt: ThresholdsObservedAt, now: number): Threshold[] {
  const out: Threshold[] = [];
  for (const { threshold, at } of observedAt.values()) {
    if (now - at >= threshold.gracePeriodMs) out.push(threshold);
  }
  return out;
}

/** The node conditions the thresholds imply, once each, in first-seen order (nodeConditions). */
export function nodeConditions(thresholds: readonly Threshold[]): NodeConditionType[] {
  const out: NodeConditionType[] = [];
  for (const t of thresholds) {
    const c = signalToNodeCondition[t.signal];
    if (!out.includes(c)) out.push(c);
  }
  return out;
}

export type NodeConditionsObservedAt = Map<NodeConditionType, number>;

/** Records `now` as the last time each of `conditions` was observed (nodeConditionsLastObservedAt). */
export function nodeConditionsLastObservedAt(
  conditions: readonly NodeConditionType[],
  lastObservedAt: NodeConditionsObservedAt,
  now: number,
): NodeConditionsObservedAt {
  const out: NodeConditionsObservedAt = new Map(lastObservedAt);
  for (const c of conditions) out.set(c, now);
  return out;
}

/**
 * The conditions still reported: observed less than `periodMs` ago (nodeConditionsObservedSince), which keeps
 * a pressure condition from flapping (--eviction-pressure-transition-period).
 */
export function nodeConditionsObservedSince(
  observedAt: NodeConditionsObservedAt,
  periodMs: number,
  now: number,
): NodeConditionType[] {
  const out: NodeConditionType[] = [];
  for (const [c, at] of observedAt) if (now - at < periodMs) out.push(c);
  return out;
}

const isMemorySignal = (t: Threshold) =>
  t.signal === "memory.available" || t.signal === "allocatableMemory.available";

/** Memory thresholds first, the rest in their order (byEvictionPriority; stable). */
export function sortByEvictionPriority(thresholds: readonly Threshold[]): Threshold[] {
  return [...thresholds.filter(isMemorySignal), ...thresholds.filter((t) => !isMemorySignal(t))];
}
