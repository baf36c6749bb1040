import type { EvictionSignal } from "./eviction-signals.ts";

/** A threshold value: an absolute amount (bytes, inodes, pids) or a fraction of capacity (float32, 0 < f ≤ 1). */
export interface ThresholdValue {
  /** Absolute amount in base units (bytes, inodes or pids). */
  quantity?: number;
  /** Fraction of the signal's capacity, as upstream's float32 (25.5% → 0.255). */
  percentage?: number;
}

/** One eviction threshold (evictionapi.Threshold). Hard thresholds have gracePeriodMs 0. */
export interface Threshold {
  signal: EvictionSignal;
  operator: "LessThan";
  value: ThresholdValue;
  /** Soft thresholds: how long the signal must stay past the threshold before pods are evicted. */
  gracePeriodMs: number;
  /** Extra amount to reclaim past the threshold once it is crossed. */
  minReclaim?: ThresholdValue;
}

/** The amount a threshold value stands for, given the signal's capacity (GetThresholdQuantity). */
export function thresholdQuantity(value: ThresholdValue, capacity: number): number {
  if (value.quantity !== undefined) return value.quantity;
  return Math.trunc(capacity * (value.percentage ?? 0));
}

/** Hard thresholds act at once; soft ones after their grace period. */
export function isHardThreshold(t: Threshold): boolean {
  return t.gracePeriodMs === 0;
}

/** Two thresholds are the same threshold (same signal, operator, value and grace period). */
export function sameThreshold(a: Threshold, b: Threshold): boolean {
  return (
    a.signal === b.signal &&
    a.operator === b.operator &&
    a.gracePeriodMs === b.gracePeriodMs &&
    a.value.quantity === b.value.quantity &&
    a.value.percentage === b.value.percentage
  );
}

/** A stable key for a threshold, for maps of first-observed times. */
export function thresholdKey(t: Threshold): string {
  const v = t.value.quantity !== undefined ? `q${t.value.quantity}` : `p${t.value.percentage}`;
  return `${t.signal}<${v}/${t.gracePeriodMs}`;
}
