/**
 * `kite proxy` options: upstream kube-proxy flag names, optionally on top of a KubeProxyConfiguration
 * file (`--config`, kubeproxy.config.k8s.io/v1alpha1). Flags given on the command line override the file.
 */
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { parseDuration } from "../../core/duration/mod.ts";
import { KiteError } from "../../core/errors/mod.ts";
import type { ProxyMode } from "../../core/proxy/types.ts";
import { parseFlags, parseHostPort } from "../cli/args.ts";

/** A Go duration that must not be negative (periods and intervals). */
function nonNegativeDuration(value: string, field: string): number {
  const ms = parseDuration(value, field);
  if (ms < 0)
    throw new KiteError("invalid_argument", `${JSON.stringify(value)} must not be negative`, { field });
  return ms;
}

export interface ProxyOptions {
  mode: ProxyMode;
  hostname: string;
  bindAddress: string | undefined;
  clusterCIDR: string | undefined;
  masqueradeAll: boolean;
  masqueradeBit: number;
  nodePortAddresses: string[] | null;
  localhostNodePorts: boolean;
  ipvsScheduler: string;
  ipvsExcludeCIDRs: string[];
  ipvsStrictARP: boolean;
  minSyncPeriodMs: number;
  syncPeriodMs: number;
  healthz: { host: string; port: number } | null;
  metrics: { host: string; port: number } | null;
  objectsDir: string | undefined;
  /** The API server's kubeconfig (upstream --kubeconfig / clientConnection.kubeconfig). */
  kubeconfig: string | undefined;
  netns: string | undefined;
  logFormat: "text" | "json";
  /** Which iptables binaries (kite): the system default, iptables-nft or iptables-legacy. */
  iptablesBackend: "auto" | "nft" | "legacy";
  /** Seconds between folder rescans (kite). */
  rescanIntervalMs: number;
}

export const proxyFlagSpec = {
  config: { type: "string" },
  "proxy-mode": { type: "string" },
  "hostname-override": { type: "string" },
  "bind-address": { type: "string" },
  "cluster-cidr": { type: "string" },
  "masquerade-all": { type: "boolean" },
  "iptables-masquerade-bit": { type: "string" },
  "iptables-localhost-nodeports": { type: "boolean" },
  "nodeport-addresses": { type: "string", multiple: true },
  "ipvs-scheduler": { type: "string" },
  "ipvs-exclude-cidrs": { type: "string", multiple: true },
  "ipvs-strict-arp": { type: "boolean" },
  "min-sync-period": { type: "string" },
  "sync-period": { type: "string" },
  "iptables-min-sync-period": { type: "string" },
  "iptables-sync-period": { type: "string" },
  "ipvs-min-sync-period": { type: "string" },
  "ipvs-sync-period": { type: "string" },
  "healthz-bind-address": { type: "string" },
  "metrics-bind-address": { type: "string" },
  "objects-dir": { type: "string" },
  kubeconfig: { type: "string" },
  "objects-rescan-period": { type: "string" },
  netns: { type: "string" },
  "iptables-backend": { type: "string" },
  "logging-format": { type: "string" },
  v: { type: "string" },
} as const;

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

function hostPort(value: string, field: string): { host: string; port: number } | null {
  if (value === "" || value === "0") return null;
  // Upstream accepts a bare IP (default port) too; kite requires host:port or ":port". Port 0 = any free port.
  return parseHostPort(value, field);
}

function splitList(values: string[]): string[] {
  return values
    .flatMap((v) => v.split(","))
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Reads a KubeProxyConfiguration file; unknown top-level fields are rejected like upstream's strict decoding. */
export function readKubeProxyConfiguration(path: string): Json {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(path, "utf8"));
  } catch (e) {
    throw new KiteError("invalid_argument", `${path}: ${(e as Error).message}`, { field: "--config" });
  }
  if (!isObj(doc))
    throw new KiteError("invalid_argument", `${path}: not a KubeProxyConfiguration object`, {
      field: "--config",
    });
  if (doc.kind !== undefined && doc.kind !== "KubeProxyConfiguration") {
    throw new KiteError(
      "invalid_argument",
      `${path}: kind is ${JSON.stringify(doc.kind)}, want KubeProxyConfiguration`,
      {
        field: "--config",
      },
    );
  }
  return doc;
}

function fileStr(doc: Json, path: string[], field: string): string | undefined {
  let v: unknown = doc;
  for (const p of path) v = isObj(v) ? v[p] : undefined;
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string")
    throw new KiteError("invalid_argument", `must be a string`, { field: `--config ${field}` });
  return v;
}
function fileBool(doc: Json, path: string[], field: string): boolean | undefined {
  let v: unknown = doc;
  for (const p of path) v = isObj(v) ? v[p] : undefined;
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "boolean")
    throw new KiteError("invalid_argument", `must be true or false`, { field: `--config ${field}` });
  return v;
}
function fileList(doc: Json, path: string[], field: string): string[] | undefined {
  let v: unknown = doc;
  for (const p of path) v = isObj(v) ? v[p] : undefined;
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) {
    throw new KiteError("invalid_argument", `must be a list of strings`, { field: `--config ${field}` });
  }
  return v as string[];
}
function fileNum(doc: Json, path: string[], field: string): number | undefined {
  let v: unknown = doc;
  for (const p of path) v = isObj(v) ? v[p] : undefined;
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number")
    throw new KiteError("invalid_argument", `must be a number`, { field: `--config ${field}` });
  return v;
}

function iptablesBackend(v: string | undefined): ProxyOptions["iptablesBackend"] {
  if (v === undefined || v === "auto" || v === "nft" || v === "legacy") return v ?? "auto";
  throw new KiteError(
    "invalid_argument",
    `unknown iptables backend ${JSON.stringify(v)} (want auto, nft or legacy)`,
    {
      field: "--iptables-backend",
    },
  );
}

/** Parses `kite proxy` flags (and the --config file) into options. */
export function parseProxyOptions(
  args: string[],
  hostname: string,
): { options: ProxyOptions; positionals: string[] } {
  const { values: f, positionals } = parseFlags(args, proxyFlagSpec);
  const file = f.config ? readKubeProxyConfiguration(f.config) : {};
  const modeRaw = f["proxy-mode"] ?? fileStr(file, ["mode"], "mode") ?? "iptables";
  const mode = (modeRaw === "" ? "iptables" : modeRaw) as ProxyMode;
  if (!["iptables", "nftables", "ipvs"].includes(mode)) {
    throw new KiteError(
      "invalid_argument",
      `unknown proxy mode ${JSON.stringify(modeRaw)} (want iptables, nftables or ipvs)`,
      {
        field: "--proxy-mode",
      },
    );
  }
  const section = mode === "ipvs" ? "ipvs" : mode === "nftables" ? "nftables" : "iptables";
  const dur = (flag: string | undefined, flagName: string, paths: string[][], dflt: number) => {
    if (flag !== undefined) return nonNegativeDuration(flag, flagName);
    for (const p of paths) {
      const v = fileStr(file, p, p.join("."));
      if (v !== undefined) return nonNegativeDuration(v, `--config ${p.join(".")}`);
    }
    return dflt;
  };
  const modeMin = mode === "ipvs" ? f["ipvs-min-sync-period"] : f["iptables-min-sync-period"];
  const modeSync = mode === "ipvs" ? f["ipvs-sync-period"] : f["iptables-sync-period"];
  const minSyncPeriodMs = dur(
    f["min-sync-period"] ?? modeMin,
    "--min-sync-period",
    [["minSyncPeriod"], [section, "minSyncPeriod"]],
    1000,
  );
  const syncPeriodMs = dur(
    f["sync-period"] ?? modeSync,
    "--sync-period",
    [["syncPeriod"], [section, "syncPeriod"]],
    30_000,
  );
  if (syncPeriodMs <= 0)
    throw new KiteError("invalid_argument", "must be greater than 0", { field: "--sync-period" });
  if (minSyncPeriodMs > syncPeriodMs) {
    throw new KiteError("invalid_argument", "must not be greater than --sync-period", {
      field: "--min-sync-period",
    });
  }
  const bitRaw = f["iptables-masquerade-bit"];
  const masqueradeBit =
    bitRaw !== undefined
      ? Number(bitRaw)
      : (fileNum(file, [section, "masqueradeBit"], "masqueradeBit") ?? 14);
  if (!Number.isInteger(masqueradeBit) || masqueradeBit < 0 || masqueradeBit > 31) {
    throw new KiteError("invalid_argument", "must be within the range [0, 31]", {
      field: "--iptables-masquerade-bit",
    });
  }
  const has = (name: string) =>
    args.some((a) => a === `--${name}` || a.startsWith(`--${name}=`) || a === `--no-${name}`);
  const npaFlag = splitList(f["nodeport-addresses"]);
  const npaFile = fileList(file, ["nodePortAddresses"], "nodePortAddresses");
  const nodePortAddresses = npaFlag.length ? npaFlag : npaFile?.length ? npaFile : null;
  const healthzRaw =
    f["healthz-bind-address"] ??
    fileStr(file, ["healthzBindAddress"], "healthzBindAddress") ??
    "0.0.0.0:10256";
  const metricsRaw =
    f["metrics-bind-address"] ??
    fileStr(file, ["metricsBindAddress"], "metricsBindAddress") ??
    "127.0.0.1:10249";
  const fmt = f["logging-format"] ?? "text";
  if (fmt !== "text" && fmt !== "json") {
    throw new KiteError("invalid_argument", `unknown logging format ${JSON.stringify(fmt)}`, {
      field: "--logging-format",
    });
  }
  const options: ProxyOptions = {
    mode,
    hostname: (f["hostname-override"] ?? fileStr(file, ["hostnameOverride"], "hostnameOverride") ?? hostname)
      .trim()
      .toLowerCase(),
    bindAddress: f["bind-address"] ?? fileStr(file, ["bindAddress"], "bindAddress"),
    clusterCIDR: f["cluster-cidr"] ?? fileStr(file, ["clusterCIDR"], "clusterCIDR") ?? undefined,
    masqueradeAll: has("masquerade-all")
      ? f["masquerade-all"]
      : (fileBool(file, [section, "masqueradeAll"], "masqueradeAll") ?? false),
    masqueradeBit,
    nodePortAddresses,
    localhostNodePorts: has("iptables-localhost-nodeports")
      ? f["iptables-localhost-nodeports"]
      : (fileBool(file, ["iptables", "localhostNodePorts"], "iptables.localhostNodePorts") ?? true),
    ipvsScheduler: f["ipvs-scheduler"] ?? fileStr(file, ["ipvs", "scheduler"], "ipvs.scheduler") ?? "rr",
    ipvsExcludeCIDRs: splitList(f["ipvs-exclude-cidrs"]).length
      ? splitList(f["ipvs-exclude-cidrs"])
      : (fileList(file, ["ipvs", "excludeCIDRs"], "ipvs.excludeCIDRs") ?? []),
    ipvsStrictARP: has("ipvs-strict-arp")
      ? f["ipvs-strict-arp"]
      : (fileBool(file, ["ipvs", "strictARP"], "ipvs.strictARP") ?? false),
    minSyncPeriodMs,
    syncPeriodMs,
    healthz: hostPort(healthzRaw, "--healthz-bind-address"),
    metrics: hostPort(metricsRaw, "--metrics-bind-address"),
    objectsDir: f["objects-dir"],
    kubeconfig:
      f.kubeconfig ?? fileStr(file, ["clientConnection", "kubeconfig"], "clientConnection.kubeconfig"),
    netns: f.netns,
    logFormat: fmt,
    iptablesBackend: iptablesBackend(f["iptables-backend"]),
    rescanIntervalMs: f["objects-rescan-period"]
      ? nonNegativeDuration(f["objects-rescan-period"], "--objects-rescan-period")
      : 5000,
  };
  if (options.clusterCIDR === "") options.clusterCIDR = undefined;
  if (options.hostname === "")
    throw new KiteError("invalid_argument", "must not be empty", { field: "--hostname-override" });
  return { options, positionals };
}
