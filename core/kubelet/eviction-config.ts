import { parseDuration } from "../duration/mod.ts";
import { invalidArgument } from "../errors/mod.ts";
import { parseQuantity, quantityValue } from "../quantity/mod.ts";
import { type EvictionSignal, isEvictionSignal, userEvictionSignals } from "./eviction-signals.ts";
import type { Threshold, ThresholdValue } from "./eviction-threshold.ts";

/** Upstream Linux defaults for evictionHard (defaults_linux.go). */
export const defaultEvictionHard: Readonly<Record<string, string>> = Object.freeze({
  "memory.available": "100Mi",
  "nodefs.available": "10%",
  "nodefs.inodesFree": "5%",
  "imagefs.available": "15%",
});
/** evictionPressureTransitionPeriod default (5m). */
export const defaultPressureTransitionPeriodMs = 5 * 60_000;
/** How often the eviction manager runs (evictionMonitoringPeriod). */
export const evictionMonitoringPeriodMs = 10_000;

/** The eviction part of KubeletConfiguration (config file field names). */
export interface EvictionKubeletConfiguration {
  evictionHard?: Record<string, string> | null;
  evictionSoft?: Record<string, string> | null;
  evictionSoftGracePeriod?: Record<string, string> | null;
  evictionMinimumReclaim?: Record<string, string> | null;
  evictionPressureTransitionPeriod?: string;
  evictionMaxPodGracePeriod?: number;
  enforceNodeAllocatable?: string[];
  /** Merge user evictionHard over the defaults instead of replacing them (1.3x). */
  mergeDefaultEvictionSettings?: boolean;
}

/** The same settings as command-line flags (flag name without dashes → raw value). */
export interface EvictionFlags {
  "eviction-hard"?: string;
  "eviction-soft"?: string;
  "eviction-soft-grace-period"?: string;
  "eviction-minimum-reclaim"?: string;
  "eviction-pressure-transition-period"?: string;
  "eviction-max-pod-grace-period"?: string;
  "enforce-node-allocatable"?: string;
}

/** Parsed eviction settings, what the eviction manager runs on. */
export interface EvictionConfig {
  thresholds: Threshold[];
  /** How long a pressure condition stays reported after the signal recovers. */
  pressureTransitionPeriodMs: number;
  /** Grace period for soft evictions, seconds (evictionMaxPodGracePeriod; 0 by default). */
  maxPodGracePeriodSeconds: number;
}

/** Names the fields the same way the user wrote them: flags or config-file keys. */
export interface ThresholdFieldNames {
  hard: string;
  soft: string;
  softGracePeriod: string;
  minimumReclaim: string;
}
const configNames: ThresholdFieldNames = {
  hard: "evictionHard",
  soft: "evictionSoft",
  softGracePeriod: "evictionSoftGracePeriod",
  minimumReclaim: "evictionMinimumReclaim",
};
const flagNames: ThresholdFieldNames = {
  hard: "--eviction-hard",
  soft: "--eviction-soft",
  softGracePeriod: "--eviction-soft-grace-period",
  minimumReclaim: "--eviction-minimum-reclaim",
};

const float32 = Math.fround;

/**
 * Parses "25.5%" into a float32 fraction (0.255), as upstream parsePercentage.
 * @throws KiteError naming `field` for anything but a number followed by %.
 */
export function parsePercentage(input: string, field = "percentage"): number {
  const body = input.replace(/%+$/, "");
  if (body === input || !/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(body.trim())) {
    throw invalidArgument(field, `invalid percentage ${JSON.stringify(input)}`);
  }
  return float32(float32(Number(body)) / 100);
}

function parseThresholdValue(signal: string, raw: string, field: string): ThresholdValue | undefined {
  const value = raw.trim();
  if (value.endsWith("%")) {
    const fraction = parsePercentage(value, field);
    if (fraction < 0)
      throw invalidArgument(field, `eviction percentage threshold ${signal} must be >= 0%: "${raw}"`);
    if (fraction > 1)
      throw invalidArgument(field, `eviction percentage threshold ${signal} must be <= 100%: "${raw}"`);
    if (fraction === 0 || fraction === 1) return undefined;
    return { percentage: fraction };
  }
  let amount: number;
  try {
    amount = quantityValue(parseQuantity(value));
  } catch {
    throw invalidArgument(field, `invalid eviction threshold value for ${signal}: "${raw}"`);
  }
  if (amount <= 0) throw invalidArgument(field, `eviction threshold ${signal} must be positive: "${raw}"`);
  return { quantity: amount };
}

function checkSignal(signal: string, field: string, raw: string): EvictionSignal {
  if (!isEvictionSignal(signal) || !userEvictionSignals.includes(signal)) {
    throw invalidArgument(field, `unsupported eviction signal "${signal}" in "${raw}"`);
  }
  return signal;
}

function parseGracePeriods(map: Record<string, string>, field: string): Map<EvictionSignal, number> {
  const out = new Map<EvictionSignal, number>();
  for (const [key, raw] of Object.entries(map)) {
    const signal = checkSignal(key.trim(), field, `${key}=${raw}`);
    let ms: number;
    try {
      ms = parseDuration(raw.trim(), field);
    } catch {
      throw invalidArgument(field, `invalid grace period for ${signal}: "${raw}"`);
    }
    if (ms < 0) throw invalidArgument(field, `grace period for ${signal} must be non-negative: "${raw}"`);
    out.set(signal, ms);
  }
  return out;
}

function parseMinimumReclaims(
  map: Record<string, string>,
  field: string,
): Map<EvictionSignal, ThresholdValue> {
  const out = new Map<EvictionSignal, ThresholdValue>();
  for (const [key, rawValue] of Object.entries(map)) {
    const signal = checkSignal(key.trim(), field, `${key}=${rawValue}`);
    const raw = rawValue.trim();
    if (raw.endsWith("%")) {
      const fraction = parsePercentage(raw, field);
      if (fraction <= 0)
        throw invalidArgument(field, `minimum reclaim for ${signal} must be positive: "${raw}"`);
      if (fraction > 1)
        throw invalidArgument(field, `minimum reclaim for ${signal} must be <= 100%: "${raw}"`);
      out.set(signal, { percentage: fraction });
      continue;
    }
    let amount: number;
    try {
      amount = quantityValue(parseQuantity(raw));
    } catch {
      throw invalidArgument(field, `invalid minimum reclaim for ${signal}: "${raw}"`);
    }
    if (amount < 0)
      throw invalidArgument(field, `minimum reclaim for ${signal} must not be negative: "${raw}"`);
    out.set(signal, { quantity: amount });
  }
  return out;
}

/**
 * Builds the thresholds from the four maps (upstream `ParseThresholdConfig`): hard thresholds (grace 0), soft
 * thresholds with their mandatory grace period, min-reclaim per signal; a value of 0% or 100% disables that
 * threshold. With `pods` in enforceNodeAllocatable every hard memory.available threshold is mirrored to
 * allocatableMemory.available. Errors are KiteErrors naming the field (flag or config key) and the bad value.
 */
export function parseThresholdConfig(
  allocatableConfig: readonly string[],
  evictionHard: Record<string, string>,
  evictionSoft: Record<string, string>,
  evictionSoftGracePeriod: Record<string, string>,
  evictionMinimumReclaim: Record<string, string>,
  names: ThresholdFieldNames = configNames,
): Threshold[] {
  const out: Threshold[] = [];
  const grace = parseGracePeriods(evictionSoftGracePeriod, names.softGracePeriod);
  const reclaim = parseMinimumReclaims(evictionMinimumReclaim, names.minimumReclaim);
  for (const [key, raw] of Object.entries(evictionHard)) {
    const signal = checkSignal(key.trim(), names.hard, `${key}<${raw}`);
    const value = parseThresholdValue(signal, raw, names.hard);
    if (!value) continue;
    const t: Threshold = { signal, operator: "LessThan", value, gracePeriodMs: 0 };
    const mr = reclaim.get(signal);
    if (mr) t.minReclaim = mr;
    out.push(t);
  }
  for (const [key, raw] of Object.entries(evictionSoft)) {
    const signal = checkSignal(key.trim(), names.soft, `${key}<${raw}`);
    const value = parseThresholdValue(signal, raw, names.soft);
    if (!value) continue;
    const g = grace.get(signal);
    if (g === undefined) {
      throw invalidArgument(
        names.softGracePeriod,
        `grace period must be specified for the soft eviction threshold ${signal} ("${key}<${raw}")`,
      );
    }
    const t: Threshold = { signal, operator: "LessThan", value, gracePeriodMs: g };
    const mr = reclaim.get(signal);
    if (mr) t.minReclaim = mr;
    out.push(t);
  }
  return allocatableConfig.includes("pods") ? addAllocatableThresholds(out) : out;
}

/** Mirrors every hard memory.available threshold to allocatableMemory.available (addAllocatableThresholds). */
export function addAllocatableThresholds(thresholds: readonly Threshold[]): Threshold[] {
  const extra: Threshold[] = [];
  for (const t of thresholds) {
    if (t.signal === "memory.available" && t.gracePeriodMs === 0) {
      const copy: Threshold = { ...t, signal: "allocatableMemory.available", value: { ...t.value } };
      if (t.minReclaim) copy.minReclaim = { ...t.minReclaim };
      extra.push(copy);
    }
  }
  return [...extra, ...thresholds];
}

/**
 * Splits a flag value of `signal<value` (separator "<") or `signal=value` (separator "=") items joined by
 * commas into a map, as the kubelet's LangleSeparatedMapStringString / MapStringString flags do.
 */
export function parseSignalMapFlag(raw: string, separator: "<" | "=", flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of raw.split(",")) {
    if (item.trim() === "") continue;
    const at = item.indexOf(separator);
    if (at <= 0) {
      throw invalidArgument(flag, `malformed pair "${item}", expect string${separator}string`);
    }
    out[item.slice(0, at).trim()] = item.slice(at + 1).trim();
  }
  return out;
}

function mapOrEmpty(m: Record<string, string> | null | undefined): Record<string, string> {
  return m ?? {};
}

function pressurePeriod(raw: string | undefined, field: string): number {
  if (raw === undefined || raw === "") return defaultPressureTransitionPeriodMs;
  const ms = parseDuration(raw, field);
  if (ms < 0) throw invalidArgument(field, `must be non-negative: "${raw}"`);
  return ms === 0 ? defaultPressureTransitionPeriodMs : ms;
}

function maxPodGrace(raw: number | string | undefined, field: string): number {
  if (raw === undefined || raw === "") return 0;
  const n = typeof raw === "number" ? raw : Number(raw);
  if (!Number.isInteger(n)) throw invalidArgument(field, `must be an integer number of seconds: "${raw}"`);
  if (n < 0) throw invalidArgument(field, `must be non-negative: "${raw}"`);
  return n;
}

/** Eviction settings from KubeletConfiguration fields, with upstream defaults for what is unset. */
export function evictionConfigFromKubeletConfiguration(
  cfg: EvictionKubeletConfiguration = {},
): EvictionConfig {
  let hard: Record<string, string>;
  if (cfg.evictionHard == null) hard = { ...defaultEvictionHard };
  else if (cfg.mergeDefaultEvictionSettings) hard = { ...defaultEvictionHard, ...cfg.evictionHard };
  else hard = { ...cfg.evictionHard };
  const thresholds = parseThresholdConfig(
    cfg.enforceNodeAllocatable ?? ["pods"],
    hard,
    mapOrEmpty(cfg.evictionSoft),
    mapOrEmpty(cfg.evictionSoftGracePeriod),
    mapOrEmpty(cfg.evictionMinimumReclaim),
    configNames,
  );
  return {
    thresholds,
    pressureTransitionPeriodMs: pressurePeriod(
      cfg.evictionPressureTransitionPeriod,
      "evictionPressureTransitionPeriod",
    ),
    maxPodGracePeriodSeconds: maxPodGrace(cfg.evictionMaxPodGracePeriod, "evictionMaxPodGracePeriod"),
  };
}

/**
 * Eviction settings from `--eviction-*` flags. A flag that is given replaces the matching config-file field
 * (`base`), as flags override the config file upstream; evictionHard defaults apply when neither sets it.
 */
export function evictionConfigFromFlags(
  flags: EvictionFlags,
  base: EvictionKubeletConfiguration = {},
): EvictionConfig {
  const cfg: EvictionKubeletConfiguration = { ...base };
  const f = flags;
  if (f["eviction-hard"] !== undefined)
    cfg.evictionHard = parseSignalMapFlag(f["eviction-hard"], "<", flagNames.hard);
  if (f["eviction-soft"] !== undefined)
    cfg.evictionSoft = parseSignalMapFlag(f["eviction-soft"], "<", flagNames.soft);
  if (f["eviction-soft-grace-period"] !== undefined)
    cfg.evictionSoftGracePeriod = parseSignalMapFlag(
      f["eviction-soft-grace-period"],
      "=",
      flagNames.softGracePeriod,
    );
  if (f["eviction-minimum-reclaim"] !== undefined)
    cfg.evictionMinimumReclaim = parseSignalMapFlag(
      f["eviction-minimum-reclaim"],
      "=",
      flagNames.minimumReclaim,
    );
  if (f["enforce-node-allocatable"] !== undefined)
    cfg.enforceNodeAllocatable = f["enforce-node-allocatable"]
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
  let hard: Record<string, string>;
  if (cfg.evictionHard == null) hard = { ...defaultEvictionHard };
  else if (cfg.mergeDefaultEvictionSettings) hard = { ...defaultEvictionHard, ...cfg.evictionHard };
  else hard = { ...cfg.evictionHard };
  const names = (flag: string | undefined, fromFlag: string, fromCfg: string) =>
    flag !== undefined ? fromFlag : fromCfg;
  const thresholds = parseThresholdConfig(
    cfg.enforceNodeAllocatable ?? ["pods"],
    hard,
    mapOrEmpty(cfg.evictionSoft),
    mapOrEmpty(cfg.evictionSoftGracePeriod),
    mapOrEmpty(cfg.evictionMinimumReclaim),
    {
      hard: names(f["eviction-hard"], flagNames.hard, configNames.hard),
      soft: names(f["eviction-soft"], flagNames.soft, configNames.soft),
      softGracePeriod: names(
        f["eviction-soft-grace-period"] ?? f["eviction-soft"],
        flagNames.softGracePeriod,
        configNames.softGracePeriod,
      ),
      minimumReclaim: names(
        f["eviction-minimum-reclaim"],
        flagNames.minimumReclaim,
        configNames.minimumReclaim,
      ),
    },
  );
  return {
    thresholds,
    pressureTransitionPeriodMs:
      f["eviction-pressure-transition-period"] !== undefined
        ? pressurePeriod(f["eviction-pressure-transition-period"], "--eviction-pressure-transition-period")
        : pressurePeriod(cfg.evictionPressureTransitionPeriod, "evictionPressureTransitionPeriod"),
    maxPodGracePeriodSeconds:
      f["eviction-max-pod-grace-period"] !== undefined
        ? maxPodGrace(f["eviction-max-pod-grace-period"], "--eviction-max-pod-grace-period")
        : maxPodGrace(cfg.evictionMaxPodGracePeriod, "evictionMaxPodGracePeriod"),
  };
}

export { configNames as evictionConfigFieldNames, flagNames as evictionFlagNames };
