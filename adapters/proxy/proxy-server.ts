/**
 * The running proxy: an object source feeds the core proxier; a bounded-frequency runner syncs;
 * the applier puts each result into the kernel of one network namespace; failures make the next
 * sync full; a canary monitor and the core's hourly full sync repair out-of-band damage; stale UDP
 * conntrack entries are cleared; /healthz and /metrics report it all.
 */
import type { Node } from "../../core/api/mod.ts";
import { KiteError } from "../../core/errors/mod.ts";
import {
  createProxier,
  type IpvsState,
  iptablesBaseRules,
  type Proxier,
  type ProxyEvent,
  type ProxyMode,
  type SyncResult,
} from "../../core/proxy/mod.ts";
import { type RunningServer, serveApp } from "../http/serve.ts";
import type { Logger } from "../log/logger.ts";
import type { Applier } from "./applier.ts";
import { createBoundedFrequencyRunner } from "./bounded-frequency-runner.ts";
import { clearConntrack } from "./conntrack.ts";
import { createRunner, type Runner } from "./exec.ts";
import { createHealthCheckServers } from "./health-check-servers.ts";
import { createHealthState, healthApp, metricsApp, nodeEligible } from "./health-server.ts";
import { readInterfaces, readSysctl } from "./host-info.ts";
import { createIptablesApplier, iptablesBinaries } from "./iptables-applier.ts";
import { createIpvsApplier, ipvsUnavailable } from "./ipvs-applier.ts";
import { createNftablesApplier } from "./nftables-applier.ts";
import { buildProxierConfig, detectNodeIP, type NodeFacts } from "./proxier-config.ts";
import { createProxyMetrics, type ProxyMetrics } from "./proxy-metrics.ts";
import type { ProxyOptions } from "./proxy-options.ts";
import type { ObjectSource, SourceEvent } from "./sources/source.ts";

export interface SyncOutcome {
  result: SyncResult;
  ok: boolean;
  error?: string;
  /** Wall time of the whole sync (rule generation + apply + conntrack), ms. */
  durationMs: number;
  /** Rule generation only, ms. */
  generateMs: number;
}

export interface ProxyServer {
  /** The mode actually used (ipvs may have fallen back to iptables). */
  readonly mode: ProxyMode;
  readonly proxier: Proxier;
  readonly applier: Applier;
  readonly metrics: ProxyMetrics;
  readonly healthzPort: number | undefined;
  readonly metricsPort: number | undefined;
  /** Syncs now (serialised with the runner) and returns the outcome. */
  syncNow(): Promise<SyncOutcome>;
  /** Checks the canary now; a vanished canary requests a full sync. Returns whether it was present. */
  checkCanary(): Promise<boolean>;
  /** Re-reads the source (if it can) and waits until the resulting sync is done. */
  settle(): Promise<void>;
  /** Every sync outcome, oldest first (bounded to the last 1000). */
  readonly history: SyncOutcome[];
  /** Health-check node port → the port actually bound. */
  healthCheckPorts(): Map<number, number>;
  stop(): Promise<void>;
}

export interface StartProxyOptions {
  /**
   * Address for health-check node port servers; default 0.0.0.0, or none with --netns (the servers
   * would listen in this process's namespace, not the target's). Port numbers are the services'.
   */
  healthCheckHost?: string | null;
  options: ProxyOptions;
  source: ObjectSource;
  logger: Logger;
  metrics?: ProxyMetrics;
  runner?: Runner;
  /** Called after every sync (tests, benchmarks). */
  onSync?: (outcome: SyncOutcome) => void;
}

export async function supportsRandomFully(runner: Runner, iptables = "iptables"): Promise<boolean> {
  const r = await runner.run([iptables, "--version"]);
  const m = /v(\d+)\.(\d+)\.(\d+)/.exec(r.stdout);
  if (!m) return false;
  const [a, b, c] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return a > 1 || (a === 1 && (b > 6 || (b === 6 && c >= 2)));
}

/** Ensures kube-proxy's own chains, the jumps into them and the canary (iptables -N / -C || -I). */
async function ensureBaseRules(runner: Runner, proxier: Proxier, iptables: string): Promise<void> {
  const base = iptablesBaseRules(proxier.config);
  for (const { table, chain } of [...base.chains, ...base.canary]) {
    const r = await runner.run([iptables, "-w", "5", "-t", table, "-S", chain]);
    if (r.code !== 0) {
      const n = await runner.run([iptables, "-w", "5", "-t", table, "-N", chain]);
      if (n.code !== 0 && !/exists/i.test(n.stderr)) {
        throw new KiteError("internal", `iptables -t ${table} -N ${chain}: ${n.stderr.trim()}`);
      }
    }
  }
  for (const j of base.jumps) {
    const c = await runner.run([iptables, "-w", "5", "-t", j.table, "-C", j.chain, ...j.args]);
    if (c.code === 0) continue;
    const i = await runner.run([iptables, "-w", "5", "-t", j.table, "-I", j.chain, ...j.args]);
    if (i.code !== 0)
      throw new KiteError("internal", `iptables -t ${j.table} -I ${j.chain}: ${i.stderr.trim()}`);
  }
}

export async function startProxyServer(start: StartProxyOptions): Promise<ProxyServer> {
  const { options, logger } = start;
  const runner = start.runner ?? createRunner(options.netns);
  const metrics = start.metrics ?? createProxyMetrics();
  let mode: ProxyMode = options.mode;
  const bins = iptablesBinaries(options.iptablesBackend);
  if (mode === "ipvs") {
    const why = await ipvsUnavailable(runner);
    if (why) {
      logger.warn("Can't use the IPVS proxier, falling back to the iptables proxier", { reason: why });
      mode = "iptables";
    }
  }

  // Collect the initial state before building the proxier: the Node object may carry the node IP.
  const initial: SourceEvent[] = [];
  let deliver: (events: SourceEvent[]) => void = (e) => initial.push(...e);
  await start.source.start({
    events: (e) => deliver(e),
    problem: (p) =>
      logger.error("Skipping bad object input", { origin: p.origin, field: p.field, error: p.message }),
  });

  const interfaces = await readInterfaces(runner);
  const node = initial.find(
    (e): e is Extract<SourceEvent, { kind: "Node" }> =>
      e.kind === "Node" && e.object.metadata.name === options.hostname,
  )?.object;
  const facts: NodeFacts = {
    interfaces,
    ...(node ? { node } : {}),
    conntrackTCPLiberal: (await readSysctl(runner, "net.netfilter.nf_conntrack_tcp_be_liberal")) === "1",
    iptablesRandomFully: await supportsRandomFully(runner, bins.iptables),
  };
  if (!detectNodeIP(options, facts)) {
    logger.warn("Can't determine this node's IP, assuming 127.0.0.1; NodePorts may not work", {});
  }
  const config = buildProxierConfig(options, mode, facts);
  const proxier = createProxier(config);
  if (
    mode === "iptables" &&
    options.localhostNodePorts &&
    proxier.config.nodePortAddresses.containsIPv4Loopback
  ) {
    // As upstream: NodePorts on 127.0.0.1 need route_localnet (KUBE-FIREWALL blocks martians from outside).
    const r = await runner.run(["sysctl", "-qw", "net.ipv4.conf.all.route_localnet=1"]);
    if (r.code !== 0)
      logger.warn("Failed to set route_localnet; localhost NodePorts will not work", {
        error: r.stderr.trim(),
      });
  }
  const applier: Applier =
    mode === "nftables"
      ? createNftablesApplier(runner, {
          persistent: true,
          onCleanupError: (message) => {
            metrics.nftablesCleanupFailures.inc();
            logger.warn("Failed to delete stale nftables chains", { error: message });
          },
        })
      : mode === "ipvs"
        ? createIpvsApplier(runner)
        : createIptablesApplier(runner, { binaries: bins });
  const health = createHealthState(2 * options.syncPeriodMs);
  const log = logger.with({ proxyMode: mode });
  log.info("Using proxier", {
    mode,
    hostname: options.hostname,
    nodeIP: config.nodeIPs?.[0],
    netns: options.netns ?? "",
  });

  const feed = (events: SourceEvent[]) => {
    let proxyEvents = 0;
    for (const e of events) {
      if (e.kind === "Node") {
        if (e.object.metadata.name === options.hostname) {
          health.setNodeEligible(e.op === "delete" ? false : nodeEligible(e.object as Node));
        }
        continue;
      }
      try {
        proxier.handle(e as ProxyEvent);
        proxyEvents++;
      } catch (err) {
        const k = KiteError.from(err);
        log.error("Ignoring object the proxy cannot use", {
          kind: e.kind,
          object: `${e.object.metadata.namespace}/${e.object.metadata.name}`,
          field: k.field,
          error: k.rawMessage,
        });
      }
    }
    if (proxyEvents > 0) {
      const now = Date.now();
      health.queuedUpdate(now);
      metrics.lastQueuedTimestamp.set(now / 1000);
      const pending = proxier.pending();
      metrics.serviceChangesPending.set(pending.services);
      metrics.endpointChangesPending.set(pending.endpoints);
      bfr?.run();
    }
  };

  const hcHost =
    start.healthCheckHost !== undefined ? start.healthCheckHost : options.netns ? null : "0.0.0.0";
  const hcServers = hcHost
    ? createHealthCheckServers(hcHost, () => health.healthy(Date.now()).healthy, log)
    : undefined;
  const history: SyncOutcome[] = [];
  let baseEnsured = false;

  const doSync = async (): Promise<SyncOutcome> => {
    const t0 = performance.now();
    const now = Date.now();
    const fullReason = proxier.needsFullSync(now);
    let existingNatChains: string[] | undefined;
    if (mode !== "nftables" && (fullReason || !baseEnsured)) {
      try {
        await ensureBaseRules(runner, proxier, bins.iptables);
        baseEnsured = true;
        if (mode === "iptables") {
          existingNatChains = await (applier as ReturnType<typeof createIptablesApplier>).savedChains("nat");
        }
      } catch (err) {
        log.error("Failed to ensure kube-proxy's base iptables rules", {
          error: KiteError.from(err).message,
        });
      }
    }
    // ipvs: the kernel's connection counts decide when a draining real server can go.
    let observedIpvsConnections: Pick<IpvsState, "virtualServers" | "realServers"> | undefined;
    if (mode === "ipvs") {
      try {
        observedIpvsConnections = await (applier as ReturnType<typeof createIpvsApplier>).connections();
      } catch (err) {
        log.warn("Failed to read IPVS connection counts", { error: KiteError.from(err).message });
      }
    }
    const pendingBefore = proxier.pending();
    const tg = performance.now();
    let result: SyncResult;
    try {
      result = proxier.sync({
        now,
        ...(existingNatChains ? { existingNatChains } : {}),
        ...(observedIpvsConnections ? { observedIpvsConnections } : {}),
      });
    } catch (err) {
      log.error("Failed to compute proxy rules", { error: KiteError.from(err).message });
      bfr?.retryAfter(options.syncPeriodMs);
      throw err;
    }
    const generateMs = performance.now() - tg;
    let ok = true;
    let error: string | undefined;
    if (!result.empty) {
      try {
        await applier.apply(result);
      } catch (err) {
        ok = false;
        error = KiteError.from(err).message;
      }
    }
    proxier.applied(result.id, ok);
    const durationMs = performance.now() - t0;
    const seconds = durationMs / 1000;
    metrics.syncDuration.observe(seconds);
    (result.full ? metrics.syncFullDuration : metrics.syncPartialDuration).observe(seconds);
    if (!ok) {
      if (mode === "nftables") metrics.nftablesSyncFailures.inc();
      else {
        metrics.restoreFailures.inc();
        if (!result.full) metrics.partialRestoreFailures.inc();
      }
      log.error("Failed to apply proxy rules; the next sync will be full", {
        full: result.full,
        error,
      });
      bfr?.retryAfter(Math.min(options.syncPeriodMs, Math.max(options.minSyncPeriodMs, 1000)));
    } else {
      const cleanup = await clearConntrack(runner, result.conntrack);
      for (const e of cleanup.errors) log.warn("Failed to delete stale conntrack entries", { error: e });
      health.updated(Date.now());
      metrics.lastTimestamp.set(Date.now() / 1000);
      metrics.serviceChangesTotal.inc({}, pendingBefore.services);
      metrics.endpointChangesTotal.inc({}, pendingBefore.endpoints);
      for (const [table, n] of Object.entries(result.iptablesRulesLast))
        metrics.iptablesLast.set(n, { table });
      for (const [table, n] of Object.entries(result.iptablesRulesTotal))
        metrics.iptablesTotal.set(n, { table });
      await hcServers?.update(result.healthCheckNodePorts);
      metrics.noLocalEndpoints.set(result.noLocalEndpoints.internal, { traffic_policy: "internal" });
      metrics.noLocalEndpoints.set(result.noLocalEndpoints.external, { traffic_policy: "external" });
      if (!result.empty) {
        log.info("Synced proxy rules", {
          full: result.full,
          ...(result.fullReason ? { reason: result.fullReason } : {}),
          servicesChanged: result.counts.servicesChanged,
          endpointsChanged: result.counts.endpointsChanged,
          lines: result.counts.lines,
          bytes: result.counts.bytes,
          elapsed: `${durationMs.toFixed(1)}ms`,
        });
      }
    }
    const pending = proxier.pending();
    metrics.serviceChangesPending.set(pending.services);
    metrics.endpointChangesPending.set(pending.endpoints);
    const outcome: SyncOutcome = { result, ok, ...(error ? { error } : {}), durationMs, generateMs };
    history.push(outcome);
    if (history.length > 1000) history.shift();
    start.onSync?.(outcome);
    return outcome;
  };

  // Serialise manual syncs with the runner's.
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = chain.then(fn);
    chain = p.catch(() => {});
    return p;
  };
  const bfr = createBoundedFrequencyRunner(
    async () => {
      await serial(doSync);
    },
    { minIntervalMs: options.minSyncPeriodMs, maxIntervalMs: options.syncPeriodMs, burst: 2 },
  );

  const checkCanary = async () => {
    const present = await applier.canaryPresent();
    if (!present && history.length > 0) {
      log.info("Proxy canary is gone: the tables were flushed; doing a full sync", {});
      proxier.requestFullSync("canary");
      bfr.run();
    }
    return present;
  };

  feed(initial);
  deliver = feed;
  const servers: RunningServer[] = [];
  try {
    if (options.healthz) servers.push(await serveApp(healthApp(health, metrics) as never, options.healthz));
    if (options.metrics)
      servers.push(await serveApp(metricsApp(metrics, () => mode) as never, options.metrics));
  } catch (err) {
    for (const s of servers) await s.close();
    await start.source.stop();
    throw new KiteError("unavailable", `cannot listen: ${(err as Error).message}`, { cause: err });
  }
  const healthzPort = options.healthz ? servers[0]?.port : undefined;
  const metricsPort = options.metrics ? servers[options.healthz ? 1 : 0]?.port : undefined;
  bfr.start();
  const canaryTimer = setInterval(() => void checkCanary().catch(() => {}), options.syncPeriodMs);

  return {
    mode,
    proxier,
    applier,
    metrics,
    healthzPort,
    metricsPort,
    history,
    healthCheckPorts: () => hcServers?.bound() ?? new Map(),
    syncNow: () => serial(doSync),
    checkCanary,
    async settle() {
      await start.source.resync?.();
      await bfr.idle();
      await chain;
      await applier.settled?.();
    },
    async stop() {
      clearInterval(canaryTimer);
      await start.source.stop();
      await bfr.stop();
      await chain;
      await applier.settled?.();
      for (const s of servers) await s.close();
      await hcServers?.close();
      (applier as { close?: () => void }).close?.();
    },
  };
}
