/**
 * The desired IPVS state for a set of service ports (upstream ipvs proxier syncProxyRules):
 * virtual servers for ClusterIPs, external IPs, LB ingress IPs and node IPs × NodePorts, real
 * servers (weight 1) per the traffic policies, the ipsets, the kube-ipvs0 addresses, and the
 * iptables rules that IPVS mode still needs.
 */
import type { ResolvedConfig } from "./config.ts";
import type { EndpointsChangeTracker } from "./endpoints-change-tracker.ts";
import { cidrContains, parseCIDR, parseIP } from "./ip.ts";
import { ipvsNodeIPs, isValidForSet } from "./ipvs-helpers.ts";
import {
  emptyIpvsState,
  type IpvsFlag,
  type IpvsState,
  ipvsIpsets,
  rsKey,
  type VirtualServer,
  vsKey,
} from "./ipvs-state.ts";
import { nodePortIPs } from "./nodeport-addresses.ts";
import type { ServiceChangeTracker } from "./service-change-tracker.ts";
import type { ServicePortInfo } from "./service-port.ts";
import { categorizeEndpoints } from "./topology.ts";

export interface IpvsDesired {
  state: IpvsState;
  iptablesRestore: string;
  noLocalInternal: number;
  noLocalExternal: number;
}

export function nodeIPsForIpvs(cfg: ResolvedConfig): string[] {
  const ifaces: Record<string, string[]> = { ...cfg.networkInterfaces };
  if (cfg.nodeIPs.length) ifaces["kite-node-ips"] = [...(ifaces["kite-node-ips"] ?? []), ...cfg.nodeIPs];
  if (cfg.nodePortAddresses.matchAll) return ipvsNodeIPs(cfg.family, ifaces);
  return nodePortIPs(cfg.nodePortAddresses, ifaces).filter((ip) => isValidForSet(cfg.family === "IPv6", ip));
}

function entry(ip: string, proto: string, port: number, extra?: string): string {
  return `${ip},${proto}:${port}${extra !== undefined ? `,${extra}` : ""}`;
}

export function computeIpvsDesired(
  cfg: ResolvedConfig,
  services: ServiceChangeTracker,
  endpoints: EndpointsChangeTracker,
): IpvsDesired {
  const st = emptyIpvsState();
  for (const [name, type] of ipvsIpsets) st.ipsets.set(name, { type, entries: new Set() });
  const set = (n: string) => st.ipsets.get(n)!.entries;
  const nodeIPs = nodeIPsForIpvs(cfg);
  const nodeAddressSet = new Set(nodeIPs);
  const nodeIP = parseIP(cfg.nodeIPs[0]);
  let noLocalInternal = 0;
  let noLocalExternal = 0;
  const flagsFor = (svc: ServicePortInfo): { flags: IpvsFlag[]; timeout: number } => {
    const flags: IpvsFlag[] = [];
    let timeout = 0;
    if (svc.sessionAffinityClientIP) {
      flags.push("FlagPersistent");
      timeout = svc.stickyMaxAgeSeconds;
    }
    if (cfg.scheduler === "mh") flags.push("FlagSourceHash");
    return { flags, timeout };
  };
  const addVS = (svc: ServicePortInfo, address: string, port: number, onlyLocal: boolean, bind: boolean) => {
    const { flags, timeout } = flagsFor(svc);
    const vs: VirtualServer = {
      address,
      port,
      protocol: svc.protocol,
      scheduler: cfg.scheduler,
      flags,
      timeout,
    };
    const key = vsKey(vs);
    st.virtualServers.set(key, vs);
    if (bind) st.boundAddresses.add(address);
    const eps = endpoints.endpointsOf(svc.serviceKey, svc.spn, svc.protocol);
    const { clusterEndpoints, localEndpoints } = categorizeEndpoints(eps, svc, cfg.topology);
    const chosen = onlyLocal ? localEndpoints : clusterEndpoints;
    const rs = [...new Map(chosen.map((e) => [e.endpoint, e])).values()]
      .map((e) => ({ address: e.ip, port: e.port, weight: 1 }))
      .sort((a, b) => (rsKey(a) < rsKey(b) ? -1 : rsKey(a) > rsKey(b) ? 1 : 0));
    st.realServers.set(key, rs);
  };
  for (const key of [...services.services().keys()].sort()) {
    for (const svc of services.portsOf(key)) {
      const proto = svc.protocol.toLowerCase();
      const eps = endpoints.endpointsOf(key, svc.spn, svc.protocol);
      for (const e of eps) if (e.isLocal) set("KUBE-LOOP-BACK").add(entry(e.ip, proto, e.port, e.ip));
      const cat = categorizeEndpoints(eps, svc, cfg.topology);
      if (cat.hasAnyEndpoints) {
        if (svc.internalPolicyLocal && cat.localEndpoints.length === 0) noLocalInternal++;
        if (svc.externalPolicyLocal && cat.localEndpoints.length === 0) noLocalExternal++;
      }
      set("KUBE-CLUSTER-IP").add(entry(svc.clusterIP, proto, svc.port));
      addVS(svc, svc.clusterIP, svc.port, svc.internalPolicyLocal, true);
      for (const ip of svc.externalIPs) {
        set(svc.externalPolicyLocal ? "KUBE-EXTERNAL-IP-LOCAL" : "KUBE-EXTERNAL-IP").add(
          entry(ip, proto, svc.port),
        );
        addVS(svc, ip, svc.port, svc.externalPolicyLocal, !nodeAddressSet.has(ip));
      }
      for (const ip of svc.loadBalancerVIPs) {
        const e = entry(ip, proto, svc.port);
        set("KUBE-LOAD-BALANCER").add(e);
        if (svc.externalPolicyLocal) set("KUBE-LOAD-BALANCER-LOCAL").add(e);
        if (svc.loadBalancerSourceRanges.length) {
          set("KUBE-LOAD-BALANCER-FW").add(e);
          let allowFromNode = false;
          for (const cidr of svc.loadBalancerSourceRanges) {
            set("KUBE-LOAD-BALANCER-SOURCE-CIDR").add(entry(ip, proto, svc.port, cidr));
            const c = parseCIDR(cidr);
            if (c && nodeIP && cidrContains(c, nodeIP)) allowFromNode = true;
          }
          if (allowFromNode) set("KUBE-LOAD-BALANCER-SOURCE-IP").add(entry(ip, proto, svc.port, ip));
        }
        addVS(svc, ip, svc.port, svc.externalPolicyLocal, !nodeAddressSet.has(ip));
      }
      if (svc.nodePort !== 0 && nodeIPs.length) {
        const entries =
          proto === "sctp" ? nodeIPs.map((ip) => entry(ip, proto, svc.nodePort)) : [String(svc.nodePort)];
        const names: Record<string, [string, string]> = {
          tcp: ["KUBE-NODE-PORT-TCP", "KUBE-NODE-PORT-LOCAL-TCP"],
          udp: ["KUBE-NODE-PORT-UDP", "KUBE-NODE-PORT-LOCAL-UDP"],
          sctp: ["KUBE-NODE-PORT-SCTP-HASH", "KUBE-NODE-PORT-LOCAL-SCTP-HASH"],
        };
        const [all, local] = names[proto]!;
        for (const e of entries) set(all).add(e);
        if (svc.externalPolicyLocal) for (const e of entries) set(local).add(e);
        for (const ip of nodeIPs) addVS(svc, ip, svc.nodePort, svc.externalPolicyLocal, false);
      }
      if (svc.healthCheckNodePort) set("KUBE-HEALTH-CHECK-NODE-PORT").add(String(svc.healthCheckNodePort));
    }
  }
  for (const a of st.boundAddresses) set("KUBE-IPVS-IPS").add(a);
  return { state: st, iptablesRestore: ipvsIptablesRules(cfg, st), noLocalInternal, noLocalExternal };
}

const withChain: [string, "nat" | "filter", string, string, string, string][] = [
  ["KUBE-LOOP-BACK", "nat", "KUBE-POSTROUTING", "MASQUERADE", "dst,dst,src", ""],
  ["KUBE-LOAD-BALANCER", "nat", "KUBE-SERVICES", "KUBE-LOAD-BALANCER", "dst,dst", ""],
  ["KUBE-LOAD-BALANCER-LOCAL", "nat", "KUBE-LOAD-BALANCER", "RETURN", "dst,dst", ""],
  ["KUBE-LOAD-BALANCER-FW", "filter", "KUBE-PROXY-FIREWALL", "KUBE-SOURCE-RANGES-FIREWALL", "dst,dst", ""],
  ["KUBE-LOAD-BALANCER-SOURCE-CIDR", "filter", "KUBE-SOURCE-RANGES-FIREWALL", "RETURN", "dst,dst,src", ""],
  ["KUBE-LOAD-BALANCER-SOURCE-IP", "filter", "KUBE-SOURCE-RANGES-FIREWALL", "RETURN", "dst,dst,src", ""],
  ["KUBE-NODE-PORT-LOCAL-TCP", "nat", "KUBE-NODE-PORT", "RETURN", "dst", "tcp"],
  ["KUBE-NODE-PORT-TCP", "nat", "KUBE-NODE-PORT", "KUBE-MARK-MASQ", "dst", "tcp"],
  ["KUBE-NODE-PORT-LOCAL-UDP", "nat", "KUBE-NODE-PORT", "RETURN", "dst", "udp"],
  ["KUBE-NODE-PORT-UDP", "nat", "KUBE-NODE-PORT", "KUBE-MARK-MASQ", "dst", "udp"],
  ["KUBE-NODE-PORT-LOCAL-SCTP-HASH", "nat", "KUBE-NODE-PORT", "RETURN", "dst,dst", "sctp"],
  ["KUBE-NODE-PORT-SCTP-HASH", "nat", "KUBE-NODE-PORT", "KUBE-MARK-MASQ", "dst,dst", "sctp"],
];

export const ipvsNatChains = [
  "KUBE-SERVICES",
  "KUBE-POSTROUTING",
  "KUBE-NODE-PORT",
  "KUBE-LOAD-BALANCER",
  "KUBE-MARK-MASQ",
];
export const ipvsFilterChains = [
  "KUBE-FORWARD",
  "KUBE-NODE-PORT",
  "KUBE-PROXY-FIREWALL",
  "KUBE-SOURCE-RANGES-FIREWALL",
  "KUBE-IPVS-FILTER",
  "KUBE-IPVS-OUT-FILTER",
];

function ipvsIptablesRules(cfg: ResolvedConfig, st: IpvsState): string {
  const nat: string[] = [];
  const filter: string[] = [];
  const has = (n: string) => (st.ipsets.get(n)?.entries.size ?? 0) > 0;
  const comment = (n: string) => ipvsIpsets.find((s) => s[0] === n)?.[2] ?? n;
  if (cfg.family === "IPv4") nat.push("-A KUBE-SERVICES -s 127.0.0.0/8 -j RETURN");
  for (const [name, table, from, to, match, proto] of withChain) {
    if (!has(name)) continue;
    const line = `-A ${from}${proto ? ` -p ${proto}` : ""} -m comment --comment "${comment(name)}" -m set --match-set ${name} ${match} -j ${to}`;
    (table === "nat" ? nat : filter).push(line);
  }
  filter.push(
    `-A KUBE-NODE-PORT -m comment --comment "${comment("KUBE-HEALTH-CHECK-NODE-PORT")}" -m set --match-set KUBE-HEALTH-CHECK-NODE-PORT dst -j ACCEPT`,
  );
  if (has("KUBE-CLUSTER-IP")) {
    const args = `-A KUBE-SERVICES -m comment --comment "${comment("KUBE-CLUSTER-IP")}" -m set --match-set KUBE-CLUSTER-IP`;
    if (cfg.masqueradeAll) nat.push(`${args} dst,dst -j KUBE-MARK-MASQ`);
    else if (cfg.podCIDR) nat.push(`${args} dst,dst ! -s ${cfg.podCIDR} -j KUBE-MARK-MASQ`);
    else nat.push(`${args} src,dst -j KUBE-MARK-MASQ`);
  }
  const externalIPRules = (args: string) => {
    nat.push(`${args} -m physdev ! --physdev-is-in -m addrtype ! --src-type LOCAL -j ACCEPT`);
    nat.push(`${args} -m addrtype --dst-type LOCAL -j ACCEPT`);
  };
  if (has("KUBE-EXTERNAL-IP")) {
    const args = `-A KUBE-SERVICES -m comment --comment "${comment("KUBE-EXTERNAL-IP")}" -m set --match-set KUBE-EXTERNAL-IP dst,dst`;
    nat.push(`${args} -j KUBE-MARK-MASQ`);
    externalIPRules(args);
  }
  if (has("KUBE-EXTERNAL-IP-LOCAL"))
    externalIPRules(
      `-A KUBE-SERVICES -m comment --comment "${comment("KUBE-EXTERNAL-IP-LOCAL")}" -m set --match-set KUBE-EXTERNAL-IP-LOCAL dst,dst`,
    );
  nat.push("-A KUBE-SERVICES -m addrtype --dst-type LOCAL -j KUBE-NODE-PORT");
  nat.push("-A KUBE-LOAD-BALANCER -j KUBE-MARK-MASQ");
  filter.push("-A KUBE-SOURCE-RANGES-FIREWALL -j DROP");
  for (const n of ["KUBE-CLUSTER-IP", "KUBE-LOAD-BALANCER"])
    if (has(n)) nat.push(`-A KUBE-SERVICES -m set --match-set ${n} dst,dst -j ACCEPT`);
  const mark = cfg.masqueradeMark;
  filter.push(
    `-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark ${mark}/${mark} -j ACCEPT`,
  );
  filter.push(
    `-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
  );
  for (const chain of ["KUBE-IPVS-FILTER", "KUBE-IPVS-OUT-FILTER"]) {
    for (const n of ["KUBE-LOAD-BALANCER", "KUBE-CLUSTER-IP", "KUBE-EXTERNAL-IP", "KUBE-EXTERNAL-IP-LOCAL"])
      filter.push(`-A ${chain} -m set --match-set ${n} dst,dst -j RETURN`);
    filter.push(`-A ${chain} -m set --match-set KUBE-HEALTH-CHECK-NODE-PORT dst -j RETURN`);
    filter.push(`-A ${chain} -m conntrack --ctstate NEW -m set --match-set KUBE-IPVS-IPS dst -j REJECT`);
  }
  nat.push(`-A KUBE-POSTROUTING -m mark ! --mark ${mark}/${mark} -j RETURN`);
  nat.push(`-A KUBE-POSTROUTING -j MARK --xor-mark ${mark}`);
  nat.push(
    `-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE${cfg.randomFully ? " --random-fully" : ""}`,
  );
  nat.push(`-A KUBE-MARK-MASQ -j MARK --or-mark ${mark}`);
  return [
    "*filter",
    ...ipvsFilterChains.map((c) => `:${c} - [0:0]`),
    ...filter,
    "COMMIT",
    "*nat",
    ...ipvsNatChains.map((c) => `:${c} - [0:0]`),
    ...nat,
    "COMMIT",
    "",
  ].join("\n");
}
