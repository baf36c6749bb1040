/**
 * IPVS state: virtual servers with their real servers, ipsets, and the addresses bound to the
 * dummy interface kube-ipvs0 — both as desired (computed from services) and as observed.
 */
export type IpvsFlag = "FlagPersistent" | "FlagHashed" | "FlagSourceHash";

export interface VirtualServer {
  address: string;
  port: number;
  /** TCP | UDP | SCTP */
  protocol: string;
  scheduler: string;
  flags: IpvsFlag[];
  /** Persistence timeout in seconds (FlagPersistent). */
  timeout: number;
}

export interface RealServer {
  address: string;
  port: number;
  weight: number;
  /** Observed connection counts (graceful termination); undefined = unknown. */
  activeConn?: number;
  inactiveConn?: number;
}

export interface IpsetState {
  type: string;
  entries: Set<string>;
}

export interface IpvsState {
  /** key `ip:port/PROTO` → VS */
  virtualServers: Map<string, VirtualServer>;
  /** VS key → real servers (ordered) */
  realServers: Map<string, RealServer[]>;
  /** Addresses bound to kube-ipvs0. */
  boundAddresses: Set<string>;
  ipsets: Map<string, IpsetState>;
}

export function emptyIpvsState(): IpvsState {
  return { virtualServers: new Map(), realServers: new Map(), boundAddresses: new Set(), ipsets: new Map() };
}

export function cloneIpvsState(s: IpvsState): IpvsState {
  return {
    virtualServers: new Map([...s.virtualServers].map(([k, v]) => [k, { ...v, flags: [...v.flags] }])),
    realServers: new Map([...s.realServers].map(([k, v]) => [k, v.map((r) => ({ ...r }))])),
    boundAddresses: new Set(s.boundAddresses),
    ipsets: new Map([...s.ipsets].map(([k, v]) => [k, { type: v.type, entries: new Set(v.entries) }])),
  };
}

export function vsKey(vs: Pick<VirtualServer, "address" | "port" | "protocol">): string {
  const host = vs.address.includes(":") ? `[${vs.address}]` : vs.address;
  return `${host}:${vs.port}/${vs.protocol}`;
}

export function rsKey(rs: Pick<RealServer, "address" | "port">): string {
  return rs.address.includes(":") ? `[${rs.address}]:${rs.port}` : `${rs.address}:${rs.port}`;
}

/** The ipsets kube-proxy's IPVS mode uses, with their types and comments. */
export const ipvsIpsets: [string, string, string][] = [
  [
    "KUBE-LOOP-BACK",
    "hash:ip,port,ip",
    "Kubernetes endpoints dst ip:port, source ip for solving hairpin purpose",
  ],
  ["KUBE-CLUSTER-IP", "hash:ip,port", "Kubernetes service cluster ip + port for masquerade purpose"],
  [
    "KUBE-EXTERNAL-IP",
    "hash:ip,port",
    "Kubernetes service external ip + port for masquerade and filter purpose",
  ],
  [
    "KUBE-EXTERNAL-IP-LOCAL",
    "hash:ip,port",
    "Kubernetes service external ip + port with externalTrafficPolicy=local",
  ],
  ["KUBE-LOAD-BALANCER", "hash:ip,port", "Kubernetes service lb portal"],
  [
    "KUBE-LOAD-BALANCER-FW",
    "hash:ip,port",
    "Kubernetes service load balancer ip + port for load balancer with sourceRange",
  ],
  [
    "KUBE-LOAD-BALANCER-LOCAL",
    "hash:ip,port",
    "Kubernetes service load balancer ip + port with externalTrafficPolicy=local",
  ],
  [
    "KUBE-LOAD-BALANCER-SOURCE-IP",
    "hash:ip,port,ip",
    "Kubernetes service load balancer ip + port + source IP for packet filter purpose",
  ],
  [
    "KUBE-LOAD-BALANCER-SOURCE-CIDR",
    "hash:ip,port,net",
    "Kubernetes service load balancer ip + port + source cidr for packet filter purpose",
  ],
  ["KUBE-NODE-PORT-TCP", "bitmap:port", "Kubernetes nodeport TCP port for masquerade purpose"],
  [
    "KUBE-NODE-PORT-LOCAL-TCP",
    "bitmap:port",
    "Kubernetes nodeport TCP port with externalTrafficPolicy=local",
  ],
  ["KUBE-NODE-PORT-UDP", "bitmap:port", "Kubernetes nodeport UDP port for masquerade purpose"],
  [
    "KUBE-NODE-PORT-LOCAL-UDP",
    "bitmap:port",
    "Kubernetes nodeport UDP port with externalTrafficPolicy=local",
  ],
  [
    "KUBE-NODE-PORT-SCTP-HASH",
    "hash:ip,port",
    "Kubernetes nodeport SCTP port for masquerade purpose with type 'hash ip:port'",
  ],
  [
    "KUBE-NODE-PORT-LOCAL-SCTP-HASH",
    "hash:ip,port",
    "Kubernetes nodeport SCTP port with externalTrafficPolicy=local with type 'hash ip:port'",
  ],
  ["KUBE-HEALTH-CHECK-NODE-PORT", "bitmap:port", "Kubernetes health check node port"],
  ["KUBE-IPVS-IPS", "hash:ip", "IPVS service ip"],
];

/**
 * `state` with the connection counts of the real servers as the kernel reports them (`ipvsadm -L -n`):
 * graceful termination deletes a real server at weight 0 once it has no connections left. A real
 * server the kernel no longer has under a virtual server it does have is dropped (nothing to delete).
 */
export function withObservedConnections(
  state: IpvsState,
  observed: Pick<IpvsState, "virtualServers" | "realServers">,
): IpvsState {
  const s = cloneIpvsState(state);
  for (const [key, list] of s.realServers) {
    if (!observed.virtualServers.has(key)) continue;
    const seen = new Map((observed.realServers.get(key) ?? []).map((r) => [rsKey(r), r]));
    const kept: RealServer[] = [];
    for (const rs of list) {
      const o = seen.get(rsKey(rs));
      if (!o) continue;
      kept.push({ ...rs, activeConn: o.activeConn ?? 0, inactiveConn: o.inactiveConn ?? 0 });
    }
    s.realServers.set(key, kept);
  }
  return s;
}
