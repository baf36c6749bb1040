/**
 * createProxier: the one entry the adapter drives. Events go into the change trackers;
 * `sync(now)` returns what to apply; `applied(id, ok)` reports the outcome (a failed apply
 * makes the next sync full, as upstream does).
 */
import { invalidArgument, KiteError } from "../errors/mod.ts";
import { type ResolvedConfig, resolveConfig } from "./config.ts";
import type { EndpointInfo } from "./endpoint.ts";
import { EndpointsChangeTracker } from "./endpoints-change-tracker.ts";
import { parseCIDR } from "./ip.ts";
import { IptablesProxier } from "./iptables-proxier.ts";
import { IpvsProxier } from "./ipvs-proxier.ts";
import type { IpvsState } from "./ipvs-state.ts";
import { NftablesProxier } from "./nftables-proxier.ts";
import { ServiceChangeTracker } from "./service-change-tracker.ts";
import type { ServicePortInfo } from "./service-port.ts";
import type { PendingChanges, ProxierConfig, ProxyEvent, SyncResult } from "./types.ts";
import { validateEndpointSlice, validateService } from "./validate.ts";

export interface SyncOptions {
  /** Current time in ms (monotonic or wall clock; only differences matter). */
  now: number;
  /** iptables: nat chains that exist in the kernel (from `iptables-save -t nat`), for stale-chain cleanup. */
  existingNatChains?: readonly string[];
  /** ipvs: the observed kernel state; without it the proxier diffs against what it last applied. */
  observedIpvs?: IpvsState;
  /**
   * ipvs: virtual and real servers with connection counts as the kernel reports them (`ipvsadm -L -n`,
   * parseIpvsadmList), merged into what the proxier believes; real servers being drained are deleted
   * once they have no connections left.
   */
  observedIpvsConnections?: Pick<IpvsState, "virtualServers" | "realServers">;
  /** Force a full sync (upstream forceSyncProxyRules). */
  forceFull?: boolean;
}

export interface Proxier {
  readonly mode: ResolvedConfig["mode"];
  readonly config: ResolvedConfig;
  /** Feeds one informer event. Throws KiteError(invalid_argument) for objects that cannot be keyed. */
  handle(event: ProxyEvent): void;
  /** Feeds several events in order. */
  handleAll(events: readonly ProxyEvent[]): void;
  /** Computes the next sync. Call `applied` with its id once applied. */
  sync(options: SyncOptions): SyncResult;
  /** Reports whether the result of `sync` was applied; a failure forces the next sync to be full. */
  applied(id: number, ok: boolean): void;
  /** Requests a full sync for a reason (`canary` when KUBE-PROXY-CANARY vanished, `forced`, ...). */
  requestFullSync(reason: string): void;
  /** Whether the next sync will be full, and why (start, restore-failed, canary, periodic, ...). */
  needsFullSync(now: number): string | undefined;
  /** Updates the node's labels (topology zone); a zone change forces a full sync, as upstream's OnNodeChange does. */
  setNodeLabels(labels: Record<string, string>): void;
  /** Replaces the service CIDRs (nftables cluster-ips-check); forces a full sync when they change. */
  setServiceCIDRs(cidrs: readonly string[]): void;
  /** Pending (not yet synced) service and endpoint changes. */
  pending(): PendingChanges;
  /** Current endpoints map: `ns/name:port` (protocol-qualified with `#PROTO`) → endpoints. */
  endpointsMap(): Map<string, EndpointInfo[]>;
  /** Current service ports. */
  servicePorts(): ServicePortInfo[];
  /** Local ready endpoint count per `ns/name`. */
  localReadyEndpoints(): Map<string, number>;
  /** Backend-specific internals (tests and the adapter's plan command). */
  readonly backend: IptablesProxier | NftablesProxier | IpvsProxier;
}

export function createProxier(config: ProxierConfig): Proxier {
  const cfg = resolveConfig(config);
  const services = new ServiceChangeTracker(cfg.family, cfg.loadBalancerIPMode);
  const endpoints = new EndpointsChangeTracker(cfg.family, cfg.hostname);
  const backend =
    cfg.mode === "iptables"
      ? new IptablesProxier(cfg, services, endpoints)
      : cfg.mode === "nftables"
        ? new NftablesProxier(cfg, services, endpoints)
        : new IpvsProxier(cfg, services, endpoints);
  let fullReason: string | undefined = "start";
  let lastFull = Number.NEGATIVE_INFINITY;
  let nextId = 1;
  const outstanding = new Map<number, () => void>();

  const proxier: Proxier = {
    mode: cfg.mode,
    config: cfg,
    backend,
    handle(event) {
      if (event.kind === "Service") {
        validateService(event.object);
        services.update(event.op, event.object);
      } else if (event.kind === "EndpointSlice") {
        validateEndpointSlice(event.object);
        endpoints.update(event.op, event.object);
      } else {
        throw invalidArgument("kind", `unknown object kind "${String((event as { kind: unknown }).kind)}"`);
      }
    },
    handleAll(events) {
      for (const e of events) proxier.handle(e);
    },
    needsFullSync(now) {
      if (fullReason) return fullReason;
      if (now - lastFull >= cfg.fullSyncPeriodMs) return "periodic";
      return undefined;
    },
    requestFullSync(reason) {
      fullReason ??= reason;
    },
    setNodeLabels(labels) {
      const zone = labels?.["topology.kubernetes.io/zone"] ?? "";
      if (zone !== cfg.topology.zone) {
        cfg.topology = { nodeName: cfg.hostname, zone };
        proxier.requestFullSync("node-labels");
      }
    },
    setServiceCIDRs(cidrs) {
      const next: string[] = [];
      cidrs.forEach((s, i) => {
        const c = parseCIDR(s);
        if (!c) throw invalidArgument(`serviceCIDRs[${i}]`, `not a CIDR: "${s}"`);
        if (c.family === cfg.family && !next.includes(c.text)) next.push(c.text);
      });
      if (next.join(",") !== cfg.serviceCIDRs.join(",")) {
        cfg.serviceCIDRs = next;
        proxier.requestFullSync("config");
      }
    },
    pending() {
      return { services: services.pendingCount(), endpoints: endpoints.pendingCount() };
    },
    sync(options) {
      if (!Number.isFinite(options.now)) throw invalidArgument("now", "must be a finite number");
      // An unconfirmed earlier result counts as applied.
      for (const confirm of outstanding.values()) confirm();
      outstanding.clear();
      const reason = options.forceFull ? "forced" : proxier.needsFullSync(options.now);
      const full = reason !== undefined;
      const svcChanged = services.takeChanges();
      const epChanged = endpoints.takeChanges();
      const changed = new Set<string>([...svcChanged, ...epChanged.keys()]);
      const id = nextId++;
      const result = backend.syncResult({
        id,
        full,
        fullReason: reason,
        changedServices: changed,
        servicesChanged: svcChanged.size,
        endpointsChanged: epChanged.size,
        previousEndpoints: epChanged,
        now: options.now,
        existingNatChains: options.existingNatChains,
        observedIpvs: options.observedIpvs,
        observedIpvsConnections: options.observedIpvsConnections,
      });
      if (full) {
        fullReason = undefined;
        lastFull = options.now;
      }
      outstanding.set(id, () => backend.committed(id));
      return result;
    },
    applied(id, ok) {
      const confirm = outstanding.get(id);
      if (!confirm) {
        if (!ok) throw new KiteError("failed_precondition", `sync ${id} is not the outstanding sync`);
        return;
      }
      outstanding.delete(id);
      if (ok) confirm();
      else {
        backend.failed(id);
        fullReason = "restore-failed";
      }
    },
    endpointsMap() {
      const out = new Map<string, EndpointInfo[]>();
      for (const ports of endpoints.all().values()) for (const [k, eps] of ports) out.set(k, eps);
      return out;
    },
    servicePorts() {
      const out: ServicePortInfo[] = [];
      for (const ports of services.services().values()) out.push(...ports);
      return out;
    },
    localReadyEndpoints() {
      return endpoints.localReadyEndpoints();
    },
  };
  return proxier;
}
