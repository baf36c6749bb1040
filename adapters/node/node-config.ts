import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { parseDuration } from "../../core/duration/mod.ts";
import { invalidArgument, KiteError } from "../../core/errors/mod.ts";
import { validateImageGCPolicy } from "../../core/kubelet/mod.ts";
import { defaultRuntimeEndpoint, parseRuntimeEndpoint } from "../cri/mod.ts";

/** The KubeletConfiguration fields kite supports, with upstream defaults. */

/** A Go duration ("20s", "1m30s", "500ms", "0") in milliseconds; the node's durations are never negative. */
export function parseNodeDuration(text: string, field: string): number {
  const ms = parseDuration(text, field);
  if (ms < 0) throw invalidArgument(field, `must not be negative, got ${JSON.stringify(text)}`);
  return ms;
}

export interface NodeConfig {
  nodeName: string;
  nodeIp: string;
  staticPodPath: string;
  fileCheckFrequencyMs: number;
  syncFrequencyMs: number;
  runtimeEndpoint: string;
  runtimeSocket: string;
  runtimeRequestTimeoutMs: number;
  rootDir: string;
  podLogsDir: string;
  certDir: string;
  cgroupRoot: string;
  address: string;
  port: number;
  readOnlyPort: number;
  healthzPort: number;
  healthzBindAddress: string;
  tlsCertFile?: string;
  tlsPrivateKeyFile?: string;
  clientCaFile?: string;
  tokenAuthFile?: string;
  anonymousAuth: boolean;
  clusterDns: string[];
  clusterDomain: string;
  resolvConf: string;
  maxPods: number;
  evictionHard: Record<string, string>;
  evictionSoft: Record<string, string>;
  evictionSoftGracePeriod: Record<string, string>;
  evictionMinimumReclaim: Record<string, string>;
  evictionPressureTransitionPeriodMs: number;
  evictionMonitoringPeriodMs: number;
  imageGcHighThresholdPercent: number;
  imageGcLowThresholdPercent: number;
  imageMinimumGcAgeMs: number;
  imageGcPeriodMs: number;
  containerGcPeriodMs: number;
  maxDeadContainersPerContainer: number;
  maxDeadContainers: number;
  relistPeriodMs: number;
  parallelPodStarts: number;
  statusFile?: string;
  loggingFormat: "text" | "json";
  verbosity: number;
}

/** The flags `kite node` accepts (kubelet names). */
export const nodeFlags = {
  config: { type: "string" },
  "pod-manifest-path": { type: "string" },
  "container-runtime-endpoint": { type: "string" },
  "root-dir": { type: "string" },
  "pod-logs-dir": { type: "string" },
  "cert-dir": { type: "string" },
  "hostname-override": { type: "string" },
  "node-ip": { type: "string" },
  "cgroup-root": { type: "string" },
  address: { type: "string" },
  port: { type: "string" },
  "read-only-port": { type: "string" },
  "healthz-port": { type: "string" },
  "healthz-bind-address": { type: "string" },
  "tls-cert-file": { type: "string" },
  "tls-private-key-file": { type: "string" },
  "client-ca-file": { type: "string" },
  "token-auth-file": { type: "string" },
  "anonymous-auth": { type: "boolean" },
  "cluster-dns": { type: "string" },
  "cluster-domain": { type: "string" },
  "resolv-conf": { type: "string" },
  "max-pods": { type: "string" },
  "eviction-hard": { type: "string" },
  "eviction-soft": { type: "string" },
  "eviction-soft-grace-period": { type: "string" },
  "eviction-minimum-reclaim": { type: "string" },
  "eviction-pressure-transition-period": { type: "string" },
  "image-gc-high-threshold": { type: "string" },
  "image-gc-low-threshold": { type: "string" },
  "minimum-image-ttl-duration": { type: "string" },
  "file-check-frequency": { type: "string" },
  "sync-frequency": { type: "string" },
  "runtime-request-timeout": { type: "string" },
  "maximum-dead-containers-per-container": { type: "string" },
  "maximum-dead-containers": { type: "string" },
  "pleg-relist-period": { type: "string" },
  "parallel-pod-starts": { type: "string" },
  "status-file": { type: "string" },
  "logging-format": { type: "string" },
  v: { type: "string", short: "v" },
} as const;

type FlagValues = {
  [K in keyof typeof nodeFlags]?: (typeof nodeFlags)[K]["type"] extends "boolean" ? boolean : string;
};

/** Config file keys kite reads; others are warned about (and ignored), as the kubelet warns on unknown fields. */
const knownConfigKeys = new Set([
  "apiVersion",
  "kind",
  "staticPodPath",
  "fileCheckFrequency",
  "syncFrequency",
  "containerRuntimeEndpoint",
  "runtimeRequestTimeout",
  "podLogsDir",
  "cgroupRoot",
  "cgroupDriver",
  "address",
  "port",
  "readOnlyPort",
  "healthzPort",
  "healthzBindAddress",
  "tlsCertFile",
  "tlsPrivateKeyFile",
  "authentication",
  "authorization",
  "clusterDNS",
  "clusterDomain",
  "resolvConf",
  "maxPods",
  "evictionHard",
  "evictionSoft",
  "evictionSoftGracePeriod",
  "evictionMinimumReclaim",
  "evictionPressureTransitionPeriod",
  "imageGCHighThresholdPercent",
  "imageGCLowThresholdPercent",
  "imageMinimumGCAge",
  "enableDebuggingHandlers",
]);

/** Splits `a<1,b<2` (eviction-hard) or `a=1,b=2` (grace periods, min reclaim) into a map. */
export function parseSignalMap(text: string, sep: "<" | "=", field: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const i = item.indexOf(sep);
    if (i <= 0 || i === item.length - 1)
      throw invalidArgument(field, `${JSON.stringify(item)} is not signal${sep}value`);
    out[item.slice(0, i).trim()] = item.slice(i + 1).trim();
  }
  return out;
}

function intFlag(v: string | undefined, field: string, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v)) throw invalidArgument(field, `${JSON.stringify(v)} is not an integer`);
  const n = Number(v);
  if (n < min || n > max) throw invalidArgument(field, `${n} is outside ${min}..${max}`);
  return n;
}

function num(v: unknown, field: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v)) throw invalidArgument(field, "must be a number");
  return v;
}

function str(v: unknown, field: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "string") throw invalidArgument(field, "must be a string");
  return v;
}

function strMap(v: unknown, field: string): Record<string, string> | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw invalidArgument(field, "must be a map");
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) out[k] = String(x);
  return out;
}

/** Reads the KubeletConfiguration file; returns the fields and the names of unknown keys (to warn about). */
export function readConfigFile(path: string): { config: Record<string, unknown>; unknown: string[] } {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new KiteError("invalid_argument", `cannot read config file ${path}: ${(e as Error).message}`, {
      field: "--config",
    });
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new KiteError("invalid_argument", `${path}: invalid YAML: ${(e as Error).message.split("\n")[0]}`, {
      field: "--config",
    });
  }
  if (doc === null || doc === undefined) return { config: {}, unknown: [] };
  if (typeof doc !== "object" || Array.isArray(doc))
    throw invalidArgument("--config", `${path} must hold a KubeletConfiguration object`);
  const config = doc as Record<string, unknown>;
  if (config.kind !== undefined && config.kind !== "KubeletConfiguration") {
    throw invalidArgument("kind", `${JSON.stringify(config.kind)} is not KubeletConfiguration`);
  }
  return { config, unknown: Object.keys(config).filter((k) => !knownConfigKeys.has(k)) };
}

const linuxEvictionDefaults: Record<string, string> = {
  "memory.available": "100Mi",
  "nodefs.available": "10%",
  "nodefs.inodesFree": "5%",
  "imagefs.available": "15%",
};

/** Merges defaults, the config file and flags (flags win), and validates. */
export function resolveNodeConfig(
  flags: FlagValues,
  warn: (msg: string, values: Record<string, unknown>) => void,
): NodeConfig {
  let file: Record<string, unknown> = {};
  if (flags.config) {
    const read = readConfigFile(flags.config);
    file = read.config;
    for (const k of read.unknown)
      warn("unknown field in the kubelet config file (ignored)", { file: flags.config, field: k });
  }
  const auth = (file.authentication ?? {}) as {
    x509?: { clientCAFile?: unknown };
    anonymous?: { enabled?: unknown };
  };
  const rootDir = flags["root-dir"] ?? "/var/lib/kubelet";
  const endpoint =
    flags["container-runtime-endpoint"] ??
    str(file.containerRuntimeEndpoint, "containerRuntimeEndpoint") ??
    defaultRuntimeEndpoint;
  const dur = (flag: string | undefined, fileKey: string, def: number) =>
    flag !== undefined
      ? parseNodeDuration(flag, `--${fileKey}`)
      : file[fileKey] !== undefined
        ? parseNodeDuration(String(file[fileKey]), fileKey)
        : def;
  const evictionHardFile = strMap(file.evictionHard, "evictionHard");
  const evictionHard =
    flags["eviction-hard"] !== undefined
      ? parseSignalMap(flags["eviction-hard"], "<", "--eviction-hard")
      : (evictionHardFile ?? linuxEvictionDefaults);
  const high =
    intFlag(flags["image-gc-high-threshold"], "--image-gc-high-threshold", 0, 100) ??
    num(file.imageGCHighThresholdPercent, "imageGCHighThresholdPercent") ??
    85;
  const low =
    intFlag(flags["image-gc-low-threshold"], "--image-gc-low-threshold", 0, 100) ??
    num(file.imageGCLowThresholdPercent, "imageGCLowThresholdPercent") ??
    80;
  validateImageGCPolicy({ highThresholdPercent: high, lowThresholdPercent: low });
  const port = (f: string | undefined, fileKey: string, def: number) =>
    intFlag(f, `--${fileKey}`, 0, 65535) ?? num(file[fileKey], fileKey) ?? def;
  const clusterDnsFlag = flags["cluster-dns"]
    ?.split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const fmt = flags["logging-format"] ?? "text";
  if (fmt !== "text" && fmt !== "json")
    throw invalidArgument("--logging-format", `${JSON.stringify(fmt)} is not text or json`);
  return {
    nodeName: (flags["hostname-override"] ?? hostname()).toLowerCase(),
    nodeIp: flags["node-ip"] ?? "",
    staticPodPath: flags["pod-manifest-path"] ?? str(file.staticPodPath, "staticPodPath") ?? "",
    fileCheckFrequencyMs: dur(flags["file-check-frequency"], "fileCheckFrequency", 20_000),
    syncFrequencyMs: dur(flags["sync-frequency"], "syncFrequency", 60_000),
    runtimeEndpoint: endpoint,
    runtimeSocket: parseRuntimeEndpoint(endpoint),
    runtimeRequestTimeoutMs: dur(flags["runtime-request-timeout"], "runtimeRequestTimeout", 120_000),
    rootDir,
    podLogsDir: flags["pod-logs-dir"] ?? str(file.podLogsDir, "podLogsDir") ?? "/var/log/pods",
    certDir: flags["cert-dir"] ?? join(rootDir, "pki"),
    cgroupRoot: flags["cgroup-root"] ?? str(file.cgroupRoot, "cgroupRoot") ?? "/",
    address: flags.address ?? str(file.address, "address") ?? "0.0.0.0",
    port: port(flags.port, "port", 10250),
    readOnlyPort: port(flags["read-only-port"], "readOnlyPort", 0),
    healthzPort: port(flags["healthz-port"], "healthzPort", 10248),
    healthzBindAddress:
      flags["healthz-bind-address"] ?? str(file.healthzBindAddress, "healthzBindAddress") ?? "127.0.0.1",
    tlsCertFile: flags["tls-cert-file"] ?? str(file.tlsCertFile, "tlsCertFile"),
    tlsPrivateKeyFile: flags["tls-private-key-file"] ?? str(file.tlsPrivateKeyFile, "tlsPrivateKeyFile"),
    clientCaFile: flags["client-ca-file"] ?? str(auth.x509?.clientCAFile, "authentication.x509.clientCAFile"),
    tokenAuthFile: flags["token-auth-file"],
    anonymousAuth: flags["anonymous-auth"] ?? auth.anonymous?.enabled === true,
    clusterDns: clusterDnsFlag ?? (file.clusterDNS as string[] | undefined) ?? [],
    clusterDomain: flags["cluster-domain"] ?? str(file.clusterDomain, "clusterDomain") ?? "cluster.local",
    resolvConf: flags["resolv-conf"] ?? str(file.resolvConf, "resolvConf") ?? "/etc/resolv.conf",
    maxPods: intFlag(flags["max-pods"], "--max-pods", 1, 100_000) ?? num(file.maxPods, "maxPods") ?? 110,
    evictionHard,
    evictionSoft:
      flags["eviction-soft"] !== undefined
        ? parseSignalMap(flags["eviction-soft"], "<", "--eviction-soft")
        : (strMap(file.evictionSoft, "evictionSoft") ?? {}),
    evictionSoftGracePeriod:
      flags["eviction-soft-grace-period"] !== undefined
        ? parseSignalMap(flags["eviction-soft-grace-period"], "=", "--eviction-soft-grace-period")
        : (strMap(file.evictionSoftGracePeriod, "evictionSoftGracePeriod") ?? {}),
    evictionMinimumReclaim:
      flags["eviction-minimum-reclaim"] !== undefined
        ? parseSignalMap(flags["eviction-minimum-reclaim"], "=", "--eviction-minimum-reclaim")
        : (strMap(file.evictionMinimumReclaim, "evictionMinimumReclaim") ?? {}),
    evictionPressureTransitionPeriodMs:
      dur(flags["eviction-pressure-transition-period"], "evictionPressureTransitionPeriod", 300_000) ||
      300_000,
    evictionMonitoringPeriodMs: 10_000,
    imageGcHighThresholdPercent: high,
    imageGcLowThresholdPercent: low,
    imageMinimumGcAgeMs: dur(flags["minimum-image-ttl-duration"], "imageMinimumGCAge", 120_000),
    imageGcPeriodMs: 5 * 60_000,
    containerGcPeriodMs: 60_000,
    maxDeadContainersPerContainer:
      intFlag(
        flags["maximum-dead-containers-per-container"],
        "--maximum-dead-containers-per-container",
        -1,
        1000,
      ) ?? 1,
    maxDeadContainers:
      intFlag(flags["maximum-dead-containers"], "--maximum-dead-containers", -1, 1_000_000) ?? -1,
    relistPeriodMs:
      flags["pleg-relist-period"] !== undefined
        ? parseNodeDuration(flags["pleg-relist-period"], "--pleg-relist-period")
        : 1000,
    parallelPodStarts: intFlag(flags["parallel-pod-starts"], "--parallel-pod-starts", 0, 1000) ?? 0,
    statusFile: flags["status-file"],
    loggingFormat: fmt,
    verbosity: intFlag(flags.v, "-v", 0, 10) ?? 0,
  };
}
