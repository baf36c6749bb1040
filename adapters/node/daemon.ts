import { mkdirSync, readFileSync } from "node:fs";
import type { MiddlewareHandler } from "hono";
import { KiteError } from "../../core/errors/mod.ts";
import { type CriClient, createCriClient } from "../cri/mod.ts";
import { type RunningServer, serveApp } from "../http/serve.ts";
import type { Logger } from "../log/logger.ts";
import { MetricsRegistry } from "../metrics/registry.ts";
import { createAuthenticator, readTokenFile } from "./authn.ts";
import { instrumentCri } from "./cri-metrics.ts";
import { evictionConfigOf } from "./eviction-manager.ts";
import { startHousekeeping } from "./housekeeping.ts";
import { Kubelet } from "./kubelet.ts";
import { createManifestSource } from "./manifest-source.ts";
import { optimizeHeapForSize, startMemoryTrim } from "./memory-trim.ts";
import type { NodeConfig } from "./node-config.ts";
import { NodeHealthMonitor } from "./node-health.ts";
import { detectNodeIp } from "./node-ip.ts";
import { createHealthzApp, createNodeApp, createReadOnlyApp, type NodeServerDeps } from "./node-server.ts";
import { nodeMemoryStats } from "./node-stats.ts";
import type { PodSource } from "./pod-source.ts";
import { startRuntimeEvents } from "./runtime-events.ts";
import { RuntimeManager } from "./runtime-manager.ts";
import { servingCertificate } from "./serving-cert.ts";
import { buildStatsSummary } from "./stats-summary.ts";
import { createStatusFileSink, type StatusSink } from "./status-sink.ts";
import type { VolumePlugin } from "./volume-plugin.ts";

export interface NodeDaemon {
  kubelet: Kubelet;
  cri: CriClient;
  servers: { healthz?: RunningServer; main?: RunningServer; readOnly?: RunningServer };
  /** Ready / pressure conditions and the image list, for node status in cluster mode. */
  nodeHealth: NodeHealthMonitor;
  stop(): Promise<void>;
}

/** The PLEG health threshold (genericPlegRelistThreshold). */
const plegThresholdMs = 3 * 60_000;

async function waitForRuntime(cri: CriClient, log: Logger): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      const v = await cri.checkVersion();
      log.info("container runtime ready", {
        runtime: v.runtimeName,
        version: v.runtimeVersion,
        api: v.runtimeApiVersion,
      });
      return;
    } catch (e) {
      const err = KiteError.from(e);
      if (err.code === "failed_precondition") throw err;
      if (i === 0 || i % 15 === 0) log.warn("waiting for the container runtime", { err: err.message });
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
}

/** Starts `kite node`: CRI client, pod sources, the kubelet loops and the HTTP ports. */
export async function startNodeDaemon(
  config: NodeConfig,
  log: Logger,
  extra: {
    sources?: PodSource[];
    sinks?: StatusSink[];
    auth?: MiddlewareHandler;
    volumePlugins?: VolumePlugin[];
  } = {},
): Promise<NodeDaemon> {
  // Eviction settings are parsed and checked by the core before anything starts (errors name the field).
  evictionConfigOf(config);
  optimizeHeapForSize();
  const metrics = new MetricsRegistry();
  const cri = instrumentCri(
    createCriClient({
      socketPath: config.runtimeSocket,
      timeoutMs: Math.min(config.runtimeRequestTimeoutMs, 120_000),
    }),
    metrics,
    log,
  );
  await waitForRuntime(cri, log);
  mkdirSync(config.rootDir, { recursive: true });
  mkdirSync(config.podLogsDir, { recursive: true });
  const nodeIp = detectNodeIp(config.nodeIp);
  const runtime = new RuntimeManager({
    cri,
    paths: { rootDir: config.rootDir, podLogsDir: config.podLogsDir },
    cgroupRoot: config.cgroupRoot,
    memoryCapacity: nodeMemoryStats().capacityBytes,
    clusterDns: config.clusterDns,
    clusterDomain: config.clusterDomain,
    resolvConf: config.resolvConf,
    log,
    ...(extra.volumePlugins ? { volumePlugins: extra.volumePlugins } : {}),
  });
  const sources: PodSource[] = [...(extra.sources ?? [])];
  if (config.staticPodPath) {
    sources.push(
      createManifestSource({
        path: config.staticPodPath,
        nodeName: config.nodeName,
        checkIntervalMs: config.fileCheckFrequencyMs,
        log,
      }),
    );
  }
  const sinks: StatusSink[] = [...(extra.sinks ?? [])];
  let kubelet: Kubelet | undefined;
  if (config.statusFile) {
    sinks.push(
      createStatusFileSink(config.statusFile, () => ({
        node: config.nodeName,
        errors: kubelet?.sourceErrors() ?? [],
      })),
    );
  }
  // Runtime events (containerd's event stream) wake the PLEG at once, so the periodic relist can be slow.
  const slowRelist = Math.max(config.relistPeriodMs, 10_000);
  const events = await startRuntimeEvents(
    config.runtimeSocket,
    () => kubelet?.requestRelist(),
    log,
    (connected) => kubelet?.setRelistPeriod(connected ? slowRelist : config.relistPeriodMs),
  );
  kubelet = new Kubelet({
    nodeName: config.nodeName,
    nodeIp,
    cri,
    runtime,
    sources,
    sinks,
    log,
    metrics,
    cgroupRoot: config.cgroupRoot,
    podLogsDir: config.podLogsDir,
    rootDir: config.rootDir,
    relistPeriodMs: events.active ? slowRelist : config.relistPeriodMs,
    syncFrequencyMs: config.syncFrequencyMs,
    parallelPodStarts: config.parallelPodStarts,
  });
  const k = kubelet;
  await k.start();
  const housekeeping = startHousekeeping({ config, cri, kubelet: k, log, metrics });
  const trim = startMemoryTrim();
  const health = () => {
    const now = Date.now();
    if (now - k.lastRelistMs > plegThresholdMs) {
      return {
        ok: false,
        reason: `PLEG is not healthy: pleg was last seen active ${Math.round((now - k.lastRelistMs) / 1000)}s ago; threshold is 3m0s`,
      };
    }
    const syncThreshold = Math.max(2 * config.syncFrequencyMs, 5 * 60_000);
    if (now - k.lastSyncLoopMs > syncThreshold)
      return { ok: false, reason: "syncloop failed: sync loop is not running" };
    return { ok: true };
  };
  const nodeHealth = new NodeHealthMonitor({
    cri,
    conditions: () => housekeeping.eviction.conditions,
    pleg: health,
    log,
  });
  await nodeHealth.start();
  // Process metrics (the names of the Prometheus Go/Node clients), refreshed on scrape.
  const rssGauge = metrics.gauge("process_resident_memory_bytes", "Resident memory size in bytes.");
  const cpuGauge = metrics.gauge(
    "process_cpu_seconds_total",
    "Total user and system CPU time spent in seconds.",
  );
  const heapGauge = metrics.gauge(
    "nodejs_heap_size_used_bytes",
    "Process heap size used from Node.js in bytes.",
  );
  const refreshProcessMetrics = () => {
    const mem = process.memoryUsage();
    rssGauge.set(mem.rss);
    heapGauge.set(mem.heapUsed);
    const cpu = process.cpuUsage();
    cpuGauge.set((cpu.user + cpu.system) / 1e6);
  };
  const deps: NodeServerDeps = {
    pods: () => k.pods(),
    runtimePods: () => k.runtimePods(),
    health,
    metrics,
    beforeMetrics: refreshProcessMetrics,
    statsSummary: (only) => buildStatsSummary({ cri, kubelet: k, config, nodeIp, only }),
    async containerLog(ns, podName, container, previous) {
      const pod = k.pods().find((p) => p.metadata.namespace === ns && p.metadata.name === podName);
      const rt = pod && k.runtimePods().find((p) => p.uid === pod.metadata.uid);
      const instances = rt?.containers.filter((c) => c.name === container) ?? [];
      const inst = previous ? instances[1] : instances[0];
      if (!inst) return undefined;
      const st = await cri.runtime.containerStatus({ containerId: inst.id }).catch(() => undefined);
      if (!st?.status?.logPath) return undefined;
      return {
        path: st.status.logPath,
        running: () =>
          !!k
            .runtimePods()
            .find((p) => p.uid === rt?.uid)
            ?.containers.find((c) => c.id === inst.id && c.state === 1),
      };
    },
  };
  const servers: NodeDaemon["servers"] = {};
  if (config.healthzPort > 0) {
    servers.healthz = await serveApp(createHealthzApp(deps) as never, {
      host: config.healthzBindAddress,
      port: config.healthzPort,
    });
  }
  if (config.port > 0) {
    const tls = servingCertificate({
      ...(config.tlsCertFile ? { certFile: config.tlsCertFile } : {}),
      ...(config.tlsPrivateKeyFile ? { keyFile: config.tlsPrivateKeyFile } : {}),
      certDir: config.certDir,
      nodeName: config.nodeName,
      nodeIp,
    });
    if (tls.generated) log.info("generated a self-signed serving certificate", { dir: config.certDir });
    const ca = config.clientCaFile ? readFileSync(config.clientCaFile) : undefined;
    const auth =
      extra.auth ??
      createAuthenticator({
        ...(config.tokenAuthFile ? { tokens: readTokenFile(config.tokenAuthFile) } : {}),
        clientCa: !!ca,
        anonymous: config.anonymousAuth,
      });
    servers.main = await serveApp(createNodeApp(deps, auth) as never, {
      host: config.address,
      port: config.port,
      tls: {
        cert: tls.cert,
        key: tls.key,
        ...(ca ? { ca, requestCert: true, rejectUnauthorized: false } : {}),
      },
    });
  }
  if (config.readOnlyPort > 0) {
    servers.readOnly = await serveApp(createReadOnlyApp(deps) as never, {
      host: config.address,
      port: config.readOnlyPort,
    });
  }
  log.info("kite node running", {
    node: config.nodeName,
    nodeIp,
    manifests: config.staticPodPath || "(none)",
    runtime: config.runtimeEndpoint,
    port: servers.main?.port,
    healthzPort: servers.healthz?.port,
    plegEvents: events.active,
  });
  return {
    kubelet: k,
    cri,
    servers,
    nodeHealth,
    async stop() {
      nodeHealth.stop();
      housekeeping.stop();
      trim.stop();
      events.stop();
      k.stop();
      await Promise.all(Object.values(servers).map((s) => s?.close()));
      for (const s of sinks) (s as { flush?: () => void }).flush?.();
    },
  };
}
