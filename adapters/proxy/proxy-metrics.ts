/** kube-proxy's metrics, with upstream names (pkg/proxy/metrics), on the shared MetricsRegistry. */
import { exponentialBuckets, MetricsRegistry } from "../metrics/registry.ts";

const syncBuckets = exponentialBuckets(0.001, 2, 15);
const programmingBuckets = [
  0.25,
  0.5,
  ...Array.from({ length: 59 }, (_, i) => i + 1),
  ...Array.from({ length: 12 }, (_, i) => 60 + i * 5),
  ...Array.from({ length: 7 }, (_, i) => 120 + i * 30),
];

export function createProxyMetrics(registry = new MetricsRegistry()) {
  const p = "kubeproxy_";
  return {
    registry,
    syncDuration: registry.histogram(
      `${p}sync_proxy_rules_duration_seconds`,
      "SyncProxyRules latency in seconds",
      syncBuckets,
    ),
    syncFullDuration: registry.histogram(
      `${p}sync_full_proxy_rules_duration_seconds`,
      "SyncProxyRules latency in seconds for full resyncs",
      syncBuckets,
    ),
    syncPartialDuration: registry.histogram(
      `${p}sync_partial_proxy_rules_duration_seconds`,
      "SyncProxyRules latency in seconds for partial resyncs",
      syncBuckets,
    ),
    networkProgrammingDuration: registry.histogram(
      `${p}network_programming_duration_seconds`,
      "In Cluster Network Programming Latency in seconds",
      programmingBuckets,
    ),
    lastTimestamp: registry.gauge(
      `${p}sync_proxy_rules_last_timestamp_seconds`,
      "The last time proxy rules were successfully synced",
    ),
    lastQueuedTimestamp: registry.gauge(
      `${p}sync_proxy_rules_last_queued_timestamp_seconds`,
      "The last time a sync of proxy rules was queued",
    ),
    endpointChangesPending: registry.gauge(
      `${p}sync_proxy_rules_endpoint_changes_pending`,
      "Pending proxy rules Endpoint changes",
    ),
    endpointChangesTotal: registry.counter(
      `${p}sync_proxy_rules_endpoint_changes_total`,
      "Cumulative proxy rules Endpoint changes",
    ),
    serviceChangesPending: registry.gauge(
      `${p}sync_proxy_rules_service_changes_pending`,
      "Pending proxy rules Service changes",
    ),
    serviceChangesTotal: registry.counter(
      `${p}sync_proxy_rules_service_changes_total`,
      "Cumulative proxy rules Service changes",
    ),
    iptablesTotal: registry.gauge(
      `${p}sync_proxy_rules_iptables_total`,
      "Total number of iptables rules owned by kube-proxy",
    ),
    iptablesLast: registry.gauge(
      `${p}sync_proxy_rules_iptables_last`,
      "Number of iptables rules written by kube-proxy in last sync",
    ),
    restoreFailures: registry.counter(
      `${p}sync_proxy_rules_iptables_restore_failures_total`,
      "Cumulative proxy iptables restore failures",
    ),
    partialRestoreFailures: registry.counter(
      `${p}sync_proxy_rules_iptables_partial_restore_failures_total`,
      "Cumulative proxy iptables partial restore failures",
    ),
    nftablesSyncFailures: registry.counter(
      `${p}sync_proxy_rules_nftables_sync_failures_total`,
      "Cumulative proxy nftables sync failures",
    ),
    nftablesCleanupFailures: registry.counter(
      `${p}sync_proxy_rules_nftables_cleanup_failures_total`,
      "Cumulative proxy nftables cleanup failures",
    ),
    noLocalEndpoints: registry.gauge(
      `${p}sync_proxy_rules_no_local_endpoints_total`,
      "Number of services with a Local traffic policy and no endpoints",
    ),
    healthzTotal: registry.counter(`${p}proxy_healthz_total`, "Cumulative proxy healthz HTTP status"),
    livezTotal: registry.counter(`${p}proxy_livez_total`, "Cumulative proxy livez HTTP status"),
  };
}

export type ProxyMetrics = ReturnType<typeof createProxyMetrics>;
