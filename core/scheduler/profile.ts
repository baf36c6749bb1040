/**
 * A scheduling profile in the shape of KubeSchedulerConfiguration v1
 * `profiles[]`: plugins enabled/disabled per extension point (with score
 * weights) and pluginConfig args, defaulted and validated as upstream does.
 */
import { KiteError } from "../errors/mod.ts";
import { type FeatureGates, resolveFeatureGates } from "./feature-gates.ts";
import { asArray, asInteger, asObject, asString, fieldDuplicate, fieldInvalid } from "./field-error.ts";
import type { Plugin } from "./plugin.ts";
import { defaultFilterPlugins, defaultScorePlugins, registry } from "./plugins/registry.ts";

export interface PluginRef {
  name: string;
  weight?: number;
}

export interface PluginSet {
  enabled?: PluginRef[];
  disabled?: { name: string }[];
}

export interface KubeSchedulerProfile {
  schedulerName?: string;
  percentageOfNodesToScore?: number | null;
  plugins?: {
    multiPoint?: PluginSet;
    preFilter?: PluginSet;
    filter?: PluginSet;
    preScore?: PluginSet;
    score?: PluginSet;
  };
  pluginConfig?: { name: string; args?: unknown }[];
}

export interface ScorePluginEntry {
  readonly plugin: Plugin;
  readonly weight: number;
}

export interface ResolvedProfile {
  readonly schedulerName: string;
  readonly percentageOfNodesToScore: number | null;
  readonly filterPlugins: readonly Plugin[];
  readonly scorePlugins: readonly ScorePluginEntry[];
  readonly gates: FeatureGates;
  /** Resolved args of every configured plugin, by name. */
  readonly pluginArgs: Readonly<Record<string, unknown>>;
}

export interface ProfileOptions {
  featureGates?: Partial<FeatureGates> | null;
  /** Field path of the profile in the surrounding document (default "profile"). */
  field?: string;
}

/** Builds one plugin from its args (plugin construction: strict validation, no v1 defaulting). */
export function newPlugin(
  name: string,
  args: unknown,
  options: { featureGates?: Partial<FeatureGates> | null; strict?: boolean } = {},
): Plugin {
  const entry = registry.get(name);
  if (!entry) throw fieldInvalid("name", name, "unknown plugin");
  const resolved = entry.factory.resolveArgs(args, { strict: options.strict ?? true });
  return entry.factory.create(resolved as never, resolveFeatureGates(options.featureGates));
}

interface Point {
  names: string[];
  weights: Map<string, number>;
}

function readSet(raw: unknown, field: string): { enabled: PluginRef[]; disabled: string[] } {
  const o = asObject(raw, field);
  const enabled = asArray(o.enabled, `${field}.enabled`).map((e, i) => {
    const f = `${field}.enabled[${i}]`;
    const r = asObject(e, f);
    const name = asString(r.name, `${f}.name`);
    if (!registry.has(name)) throw fieldInvalid(`${f}.name`, name, "unknown plugin");
    let weight: number | undefined;
    if (r.weight !== undefined && r.weight !== null) {
      weight = asInteger(r.weight, `${f}.weight`);
      if (weight < 0) throw fieldInvalid(`${f}.weight`, weight, "must be a non-negative integer");
    }
    return weight === undefined ? { name } : { name, weight };
  });
  const disabled = asArray(o.disabled, `${field}.disabled`).map((d, i) =>
    asString(asObject(d, `${field}.disabled[${i}]`).name, `${field}.disabled[${i}].name`),
  );
  return { enabled, disabled };
}

function mergePoint(
  defaults: readonly PluginRef[],
  sets: { enabled: PluginRef[]; disabled: string[]; field: string }[],
  kind: "filter" | "score",
): Point {
  const disabled = new Set(sets.flatMap((s) => s.disabled));
  const all = disabled.has("*");
  const names: string[] = [];
  const weights = new Map<string, number>();
  for (const d of defaults) {
    if (all || disabled.has(d.name)) continue;
    names.push(d.name);
    weights.set(d.name, d.weight ?? 1);
  }
  for (const s of sets) {
    s.enabled.forEach((e, i) => {
      const entry = registry.get(e.name)!;
      const implemented = kind === "filter" ? entry.filter : entry.score;
      if (!implemented) {
        if (s.field.endsWith("multiPoint")) return;
        throw fieldInvalid(`${s.field}.enabled[${i}].name`, e.name, `plugin does not implement ${kind}`);
      }
      const defaultWeight = defaults.find((d) => d.name === e.name)?.weight ?? 1;
      if (!names.includes(e.name)) names.push(e.name);
      weights.set(e.name, e.weight ? e.weight : (weights.get(e.name) ?? defaultWeight));
    });
  }
  return { names, weights };
}

/**
 * Validates and defaults a profile. Errors are KiteErrors naming the field,
 * e.g. `profile.pluginConfig[0].args.scoringStrategy.resources[1].weight`.
 */
export function createProfile(
  raw?: KubeSchedulerProfile | null,
  options: ProfileOptions = {},
): ResolvedProfile {
  const field = options.field ?? "profile";
  const gates = resolveFeatureGates(options.featureGates);
  const prefix = (e: unknown, f: string) => KiteError.from(e, "invalid_argument").withFieldPrefix(f);
  const profile = (() => {
    try {
      return asObject(raw, "") as KubeSchedulerProfile;
    } catch {
      throw fieldInvalid(field, raw, "must be an object");
    }
  })();
  let pct: number | null = null;
  if (profile.percentageOfNodesToScore !== undefined && profile.percentageOfNodesToScore !== null) {
    const f = `${field}.percentageOfNodesToScore`;
    pct = asInteger(profile.percentageOfNodesToScore, f);
    if (pct < 0 || pct > 100) throw fieldInvalid(f, pct, "not in valid range [0-100]");
  }
  const plugins = asObject(profile.plugins, `${field}.plugins`);
  const read = (point: string) => {
    const f = `${field}.plugins.${point}`;
    return { ...readSet(plugins[point], f), field: f };
  };
  const multiPoint = read("multiPoint");
  const filter = mergePoint(
    defaultFilterPlugins.map((name) => ({ name })),
    [multiPoint, read("preFilter"), read("filter")],
    "filter",
  );
  const score = mergePoint(defaultScorePlugins, [multiPoint, read("preScore"), read("score")], "score");

  const configured = new Map<string, unknown>();
  asArray(profile.pluginConfig, `${field}.pluginConfig`).forEach((c, i) => {
    const f = `${field}.pluginConfig[${i}]`;
    const o = asObject(c, f);
    const name = asString(o.name, `${f}.name`);
    if (!registry.has(name)) throw fieldInvalid(`${f}.name`, name, "unknown plugin");
    if (configured.has(name)) throw fieldDuplicate(`${f}.name`, name);
    try {
      configured.set(name, registry.get(name)!.factory.resolveArgs(o.args ?? {}, { strict: false }));
    } catch (e) {
      throw prefix(e, `${f}.args`);
    }
  });
  const instances = new Map<string, Plugin>();
  const pluginArgs: Record<string, unknown> = {};
  const instance = (name: string): Plugin => {
    let p = instances.get(name);
    if (p) return p;
    const entry = registry.get(name)!;
    const args = configured.get(name) ?? entry.factory.resolveArgs({}, { strict: false });
    pluginArgs[name] = args;
    p = entry.factory.create(args as never, gates);
    instances.set(name, p);
    return p;
  };
  return {
    schedulerName: typeof profile.schedulerName === "string" ? profile.schedulerName : "default-scheduler",
    percentageOfNodesToScore: pct,
    filterPlugins: filter.names.map(instance),
    scorePlugins: score.names.map((name) => ({
      plugin: instance(name),
      weight: score.weights.get(name) ?? 1,
    })),
    gates,
    pluginArgs,
  };
}

/**
 * Picks a profile out of a whole KubeSchedulerConfiguration (by schedulerName,
 * or the first), or treats the document as a single profile.
 */
export function profileFromDocument(
  doc: unknown,
  options: ProfileOptions & { schedulerName?: string } = {},
): ResolvedProfile {
  const field = options.field ?? "profile";
  const o = asObject(doc, field);
  if (o.kind === "KubeSchedulerConfiguration" || Array.isArray(o.profiles)) {
    const profiles = asArray(o.profiles, `${field}.profiles`);
    if (profiles.length === 0) return createProfile({}, { ...options, field });
    let index = 0;
    if (options.schedulerName) {
      index = profiles.findIndex(
        (p) => asObject(p, `${field}.profiles`).schedulerName === options.schedulerName,
      );
      if (index < 0) {
        throw fieldInvalid(`${field}.profiles`, options.schedulerName, "no profile has this schedulerName");
      }
    }
    return createProfile(profiles[index] as KubeSchedulerProfile, {
      ...options,
      field: `${field}.profiles[${index}]`,
    });
  }
  return createProfile(o as KubeSchedulerProfile, { ...options, field });
}
