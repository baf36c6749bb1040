/**
 * The extender's configuration file (YAML or JSON):
 *
 *   urlPrefix: /scheduler            # path prefix of the verbs (default "")
 *   listen: 127.0.0.1:8888           # --listen overrides
 *   filterVerb: filter               # "" turns a verb off
 *   prioritizeVerb: prioritize
 *   preemptVerb: preempt
 *   bindVerb: bind
 *   nodeCacheCapable: true           # expect NodeNames; nodes come from the cache
 *   cacheDir: ./cluster              # folder of Node/Pod manifests feeding the cache
 *   watchCacheDir: true
 *   maxBodyBytes: 52428800           # larger bodies get 413
 *   schedulerName: default-scheduler # which profile of a KubeSchedulerConfiguration to apply
 *   profile: {...}                   # a profile, or a whole KubeSchedulerConfiguration
 *   featureGates: {...}
 */
import { invalidArgument } from "../../core/errors/mod.ts";
import { type FeatureGates, profileFromDocument, type ResolvedProfile } from "../../core/scheduler/mod.ts";

export interface ExtenderConfig {
  urlPrefix: string;
  listen: string | undefined;
  filterVerb: string;
  prioritizeVerb: string;
  preemptVerb: string;
  bindVerb: string;
  nodeCacheCapable: boolean;
  cacheDir: string | undefined;
  watchCacheDir: boolean;
  maxBodyBytes: number;
  profile: ResolvedProfile;
}

export const defaultMaxBodyBytes = 50 * 1024 * 1024;

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function str(o: Record<string, unknown>, key: string, def: string | undefined): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return def;
  if (typeof v !== "string") throw invalidArgument(key, "must be a string");
  return v;
}

function bool(o: Record<string, unknown>, key: string, def: boolean): boolean {
  const v = o[key];
  if (v === undefined || v === null) return def;
  if (typeof v !== "boolean") throw invalidArgument(key, "must be a boolean");
  return v;
}

function verb(o: Record<string, unknown>, key: string, def: string): string {
  const v = str(o, key, def)!;
  if (v.includes("/")) throw invalidArgument(key, `must be one path segment, got ${JSON.stringify(v)}`);
  return v;
}

export function decodeExtenderConfig(raw: unknown): ExtenderConfig {
  const o = raw === undefined || raw === null ? {} : raw;
  if (!isObj(o)) throw invalidArgument("config", "must be an object");
  let prefix = str(o, "urlPrefix", "")!;
  prefix = prefix.replace(/\/+$/, "");
  if (prefix && !prefix.startsWith("/")) prefix = `/${prefix}`;
  const maxBody = o.maxBodyBytes ?? defaultMaxBodyBytes;
  if (typeof maxBody !== "number" || !Number.isInteger(maxBody) || maxBody <= 0) {
    throw invalidArgument("maxBodyBytes", "must be a positive integer");
  }
  const gates = o.featureGates ?? {};
  if (!isObj(gates)) throw invalidArgument("featureGates", "must be a map of gate name to boolean");
  const schedulerName = str(o, "schedulerName", undefined);
  const profile = profileFromDocument(o.profile ?? {}, {
    field: "profile",
    featureGates: gates as Partial<FeatureGates>,
    ...(schedulerName ? { schedulerName } : {}),
  });
  return {
    urlPrefix: prefix,
    listen: str(o, "listen", undefined),
    filterVerb: verb(o, "filterVerb", "filter"),
    prioritizeVerb: verb(o, "prioritizeVerb", "prioritize"),
    preemptVerb: verb(o, "preemptVerb", "preempt"),
    bindVerb: verb(o, "bindVerb", "bind"),
    nodeCacheCapable: bool(o, "nodeCacheCapable", false),
    cacheDir: str(o, "cacheDir", undefined),
    watchCacheDir: bool(o, "watchCacheDir", false),
    maxBodyBytes: maxBody,
    profile,
  };
}
