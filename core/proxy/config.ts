/** ProxierConfig with defaults applied and derived values computed once. */
import { invalidArgument } from "../errors/mod.ts";
import { type IPFamily, parseCIDR, parseIP } from "./ip.ts";
import { type NodePortAddresses, newNodePortAddresses } from "./nodeport-addresses.ts";
import type { PartialSyncForm, ProxierConfig, ProxyMode } from "./types.ts";

export interface ResolvedConfig {
  mode: ProxyMode;
  family: IPFamily;
  hostname: string;
  nodeIPs: string[];
  /** Canonical pod CIDR, or "" when there is no local-traffic detector. */
  podCIDR: string;
  masqueradeAll: boolean;
  masqueradeMark: string;
  nodePortAddresses: NodePortAddresses;
  nodePortAddressesRaw: string[] | null;
  networkInterfaces: Record<string, string[]>;
  localhostNodePorts: boolean;
  conntrackTCPLiberal: boolean;
  nfacct: Set<string>;
  randomFully: boolean;
  partialSyncForm: PartialSyncForm;
  largeClusterEndpointsThreshold: number;
  serviceCIDRs: string[];
  fullSyncPeriodMs: number;
  syncPeriodMs: number;
  staleChainDelayMs: number;
  scheduler: string;
  excludeCIDRs: string[];
  strictARP: boolean;
  loadBalancerIPMode: boolean;
  /** Node name and zone for topology hints. */
  topology: { nodeName: string; zone: string };
}

export const ipvsSchedulers = [
  "rr",
  "wrr",
  "lc",
  "wlc",
  "lblc",
  "lblcr",
  "dh",
  "sh",
  "sed",
  "nq",
  "mh",
  "fo",
  "ovf",
  "twos",
];

export function resolveConfig(c: ProxierConfig): ResolvedConfig {
  if (c.mode !== "iptables" && c.mode !== "nftables" && c.mode !== "ipvs")
    throw invalidArgument("mode", `unknown proxy mode "${String(c.mode)}" (want iptables, nftables or ipvs)`);
  const family = c.ipFamily ?? "IPv4";
  if (family !== "IPv4" && family !== "IPv6")
    throw invalidArgument("ipFamily", `unknown IP family "${String(family)}"`);
  if (typeof c.hostname !== "string" || c.hostname === "") throw invalidArgument("hostname", "must be set");
  const nodeIPs: string[] = [];
  (c.nodeIPs ?? []).forEach((s, i) => {
    const ip = parseIP(s);
    if (!ip) throw invalidArgument(`nodeIPs[${i}]`, `not an IP address: "${s}"`);
    if (ip.family === family) nodeIPs.push(ip.text);
  });
  let podCIDR = "";
  if (c.clusterCIDR) {
    const cidr = parseCIDR(c.clusterCIDR);
    if (!cidr) throw invalidArgument("clusterCIDR", `not a CIDR: "${c.clusterCIDR}"`);
    if (cidr.family === family) podCIDR = cidr.text;
  }
  const bit = c.masqueradeBit ?? 14;
  if (!Number.isInteger(bit) || bit < 0 || bit > 31) throw invalidArgument("masqueradeBit", "must be 0..31");
  // nftables mode accepts NodePorts on the node's primary IPs unless told otherwise (upstream default).
  let npaRaw: string[] | null = c.nodePortAddresses?.length
    ? c.nodePortAddresses
    : c.mode === "nftables" && nodeIPs.length
      ? ["primary"]
      : null;
  if (npaRaw?.length === 1 && npaRaw[0] === "primary")
    npaRaw = nodeIPs.map((ip) => (family === "IPv4" ? `${ip}/32` : `${ip}/128`));
  (npaRaw ?? []).forEach((s, i) => {
    if (!parseCIDR(s.trim())) throw invalidArgument(`nodePortAddresses[${i}]`, `not a CIDR: "${s}"`);
  });
  (c.serviceCIDRs ?? []).forEach((s, i) => {
    if (!parseCIDR(s)) throw invalidArgument(`serviceCIDRs[${i}]`, `not a CIDR: "${s}"`);
  });
  const scheduler = c.ipvs?.scheduler || "rr";
  if (!ipvsSchedulers.includes(scheduler))
    throw invalidArgument(
      "ipvs.scheduler",
      `unknown IPVS scheduler "${scheduler}" (want one of ${ipvsSchedulers.join(", ")})`,
    );
  (c.ipvs?.excludeCIDRs ?? []).forEach((s, i) => {
    if (!parseCIDR(s)) throw invalidArgument(`ipvs.excludeCIDRs[${i}]`, `not a CIDR: "${s}"`);
  });
  return {
    mode: c.mode,
    family,
    hostname: c.hostname,
    nodeIPs,
    podCIDR,
    masqueradeAll: !!c.masqueradeAll,
    masqueradeMark: `0x${(2 ** bit).toString(16)}`,
    nodePortAddresses: newNodePortAddresses(family, npaRaw),
    nodePortAddressesRaw: npaRaw,
    networkInterfaces: c.networkInterfaces ?? {},
    localhostNodePorts: c.localhostNodePorts ?? true,
    conntrackTCPLiberal: !!c.conntrackTCPLiberal,
    nfacct: new Set(c.nfacctCounters ?? []),
    randomFully: !!c.iptablesRandomFully,
    partialSyncForm: c.partialSyncForm ?? "minimal",
    largeClusterEndpointsThreshold: c.largeClusterEndpointsThreshold ?? 1000,
    serviceCIDRs: (c.serviceCIDRs ?? [])
      .map((s) => parseCIDR(s)!)
      .filter((x) => x.family === family)
      .map((x) => x.text),
    fullSyncPeriodMs: c.fullSyncPeriodMs ?? 3_600_000,
    syncPeriodMs: c.syncPeriodMs ?? 30_000,
    staleChainDelayMs: c.staleChainDelayMs ?? 1000,
    scheduler,
    excludeCIDRs: c.ipvs?.excludeCIDRs ?? [],
    strictARP: !!c.ipvs?.strictARP,
    loadBalancerIPMode: c.featureGates?.LoadBalancerIPMode ?? true,
    topology: { nodeName: c.hostname, zone: c.nodeLabels?.["topology.kubernetes.io/zone"] ?? "" },
  };
}
