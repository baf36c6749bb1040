/**
 * Public types of the proxy core: configuration, events, sync results.
 * Stable API — the adapter (adapters/proxy) builds on these.
 */
import type { EndpointSlice, Service } from "../api/mod.ts";
import type { IPFamily } from "./ip.ts";

export type ProxyMode = "iptables" | "nftables" | "ipvs";

/** How a partial iptables sync is written. */
export type PartialSyncForm =
  /** Upstream's exact form: shared chains always rewritten, changed services' chains rewritten. */
  | "upstream"
  /** kite's form: only chains whose content changed; large shared chains get rule-level -D/-I edits. */
  | "minimal";

export interface IPVSOptions {
  /** `--ipvs-scheduler` (rr default): rr, wrr, lc, wlc, lblc, lblcr, dh, sh, sed, nq, mh, fo, ovf, twos. */
  scheduler?: string;
  /** `--ipvs-exclude-cidrs`: virtual servers in these ranges are never deleted. */
  excludeCIDRs?: string[];
  /** `--ipvs-strict-arp`. */
  strictARP?: boolean;
}

export interface ProxierConfig {
  mode: ProxyMode;
  /** Single-stack family of this proxier (default IPv4). */
  ipFamily?: IPFamily;
  /** `--hostname-override`: endpoints with this nodeName are local. */
  hostname: string;
  /** The node's own IPs (primary first). */
  nodeIPs?: string[];
  /** `--cluster-cidr`: pod traffic detector (`-s <cidr>`); unset = no detector (masquerade rules using it are omitted). */
  clusterCIDR?: string | null;
  /** `--masquerade-all`. */
  masqueradeAll?: boolean;
  /** `--iptables-masquerade-bit` (default 14 → mark 0x4000). */
  masqueradeBit?: number;
  /**
   * `--nodeport-addresses`: CIDRs, or `["primary"]` = the node IPs, or null/[] = all local addresses.
   * Unset: all local addresses in iptables/ipvs mode, the primary node IPs in nftables mode (as upstream).
   */
  nodePortAddresses?: string[] | null;
  /** Local interface addresses (CIDR form, e.g. `192.168.0.2/24`), per interface, used to resolve nodePortAddresses. */
  networkInterfaces?: Record<string, string[]>;
  /** `--iptables-localhost-nodeports` (default true; IPv4 only). */
  localhostNodePorts?: boolean;
  /** `nf_conntrack_tcp_be_liberal` is 1: no `--ctstate INVALID -j DROP` rule. */
  conntrackTCPLiberal?: boolean;
  /** nfacct counters that exist (`ct_state_invalid_dropped_pkts`, `localhost_nps_accepted_pkts`). */
  nfacctCounters?: string[];
  /** The iptables binary supports MASQUERADE --random-fully. */
  iptablesRandomFully?: boolean;
  /**
   * Partial syncs (default "minimal"): iptables — which chains a partial restore writes; nftables —
   * "upstream" rewrites every chain of a changed service, "minimal" only chains whose rules changed.
   */
  partialSyncForm?: PartialSyncForm;
  /** Endpoints above which SEP comments are dropped (default 1000). */
  largeClusterEndpointsThreshold?: number;
  /** nftables: service CIDRs for the `cluster-ips-check` drop rule. */
  serviceCIDRs?: string[];
  /** Full-sync period in ms (default 1 h, upstream FullSyncPeriod). */
  fullSyncPeriodMs?: number;
  /** Stale-chain cleanup period in large-cluster mode / `--sync-period` (default 30 s). */
  syncPeriodMs?: number;
  /** nftables: stale chains are deleted this long after they were flushed (default 1000 ms). */
  staleChainDelayMs?: number;
  ipvs?: IPVSOptions;
  /** The node's labels; `topology.kubernetes.io/zone` enables topology-aware routing by endpoint hints. */
  nodeLabels?: Record<string, string>;
  /** Feature gates (only LoadBalancerIPMode is read; default true = GA behaviour). */
  featureGates?: { LoadBalancerIPMode?: boolean };
}

/** One informer event. `update` carries the new object (the old one is whatever was stored). */
export type ProxyEvent =
  | { kind: "Service"; op: "add" | "update" | "delete"; object: Service }
  | { kind: "EndpointSlice"; op: "add" | "update" | "delete"; object: EndpointSlice };

/** Endpoint that went away or service that lost all endpoints: the adapter clears UDP conntrack for these. */
export interface ConntrackCleanup {
  /** Some UDP/SCTP endpoint went away, or a UDP/SCTP service port got its first endpoint. */
  required: boolean;
  /** Service IPs (cluster, external, LB) whose UDP/SCTP service gained its first endpoint: flush entries to it. */
  serviceIPs: { ip: string; protocol: string }[];
  /** Removed endpoints: flush entries with this original destination → endpoint. */
  staleEndpoints: { serviceIP: string; port: number; endpointIP: string; protocol: string }[];
  /** Stale NodePort (port, protocol) whose entries should be flushed. */
  staleNodePorts: { port: number; protocol: string }[];
}

export interface SyncCounts {
  servicesChanged: number;
  endpointsChanged: number;
  /** Service ports known after the sync. */
  servicePorts: number;
  /** Endpoints (all service ports) after the sync. */
  endpoints: number;
  /** iptables: chains declared / deleted; nft: chains added/flushed / deleted; ipvs: virtual servers changed. */
  chainsWritten: number;
  chainsDeleted: number;
  /** iptables: `-A`/`-I`/`-D` lines; nft: rule operations; ipvs: commands. */
  rulesWritten: number;
  /** nft / ipset: element additions and deletions. */
  elementsAdded: number;
  elementsDeleted: number;
  /** Lines and bytes of `text`. */
  lines: number;
  bytes: number;
}

export interface SyncResult {
  mode: ProxyMode;
  /** Monotonic id; pass it to `Proxier.applied`. */
  id: number;
  /** Full sync (everything rewritten) or partial. */
  full: boolean;
  /** Why a full sync happened (start, restore-failed, canary, periodic, forced, config). */
  fullReason?: string;
  /**
   * The text to apply: iptables → `iptables-restore --noflush --counters` input; nftables → `nft -f` script;
   * ipvs → shell-like command lines (`ipvsadm ...`, `ip addr ...`), see `ipvs` for structured parts.
   */
  text: string;
  /** ipvs mode extras: ipset restore input and iptables-restore input for the helper chains. */
  ipvs?: { commands: string[]; ipsetRestore: string; iptablesRestore: string };
  /** nftables: a second transaction to apply first (deletion of aged stale chains); empty if none. */
  cleanupText?: string;
  /** Nothing needs to be applied (text is empty or has no effect). */
  empty: boolean;
  counts: SyncCounts;
  conntrack: ConntrackCleanup;
  /** Health-check node ports → number of local ready endpoints (serve on /healthz-like HC servers). */
  healthCheckNodePorts: { service: string; port: number; localEndpoints: number }[];
  /** kubeproxy_sync_proxy_rules_no_local_endpoints_total by traffic_policy. */
  noLocalEndpoints: { internal: number; external: number };
  /** Rules per table written in this sync and believed present afterwards (iptables metrics). */
  iptablesRulesLast: Record<string, number>;
  iptablesRulesTotal: Record<string, number>;
}

export interface PendingChanges {
  services: number;
  endpoints: number;
}
