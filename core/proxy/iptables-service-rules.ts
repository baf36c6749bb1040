/**
 * Renders the iptables rules of one service port, exactly as upstream's syncProxyRules
 * loop body does (pkg/proxy/iptables/proxier.go): nat per-service chains, and this port's
 * share of the shared chains (nat KUBE-SERVICES/KUBE-NODEPORTS, filter chains).
 */
import {
  endpointChainName,
  externalChainName,
  firewallChainName,
  serviceChainName,
  serviceLocalChainName,
} from "./chain-names.ts";
import type { ResolvedConfig } from "./config.ts";
import type { EndpointInfo } from "./endpoint.ts";
import { cidrContains, parseCIDR, parseIP } from "./ip.ts";
import type { ServicePortInfo } from "./service-port.ts";
import {
  categorizeEndpoints,
  externallyAccessible,
  usesClusterEndpoints,
  usesLocalEndpoints,
} from "./topology.ts";

export interface PortRules {
  /** Per-service nat chains (KUBE-SVC/SVL/EXT/FW/SEP) → their rules, in write order. */
  natChains: Map<string, string[]>;
  natServices: string[];
  natNodePorts: string[];
  filterServices: string[];
  filterExternalServices: string[];
  filterNodePorts: string[];
  filterFirewall: string[];
  noLocalInternal: number;
  noLocalExternal: number;
  /** Local ready endpoints (health check). */
  endpointCount: number;
}

const probabilityCache: string[] = [];
/** `%0.10f` of 1/n. */
export function computeProbability(n: number): string {
  if (n <= 1000) {
    let p = probabilityCache[n];
    if (p === undefined) {
      p = (1 / n).toFixed(10);
      probabilityCache[n] = p;
    }
    return p;
  }
  return (1 / n).toFixed(10);
}

export interface RenderOptions {
  largeClusterMode: boolean;
}

export function renderPortRules(
  cfg: ResolvedConfig,
  svc: ServicePortInfo,
  endpoints: EndpointInfo[],
  opts: RenderOptions,
): PortRules {
  const out: PortRules = {
    natChains: new Map(),
    natServices: [],
    natNodePorts: [],
    filterServices: [],
    filterExternalServices: [],
    filterNodePorts: [],
    filterFirewall: [],
    noLocalInternal: 0,
    noLocalExternal: 0,
    endpointCount: endpoints.length,
  };
  const proto = svc.protocol.toLowerCase();
  const spn = svc.spn;
  const { clusterEndpoints, localEndpoints, allReachableEndpoints, hasAnyEndpoints } = categorizeEndpoints(
    endpoints,
    svc,
    cfg.topology,
  );
  const hasEndpoints = hasAnyEndpoints;
  const svcChain = serviceChainName(spn, svc.protocol);
  const svlChain = serviceLocalChainName(spn, svc.protocol);
  const extChain = externalChainName(spn, svc.protocol);
  const fwChain = firewallChainName(spn, svc.protocol);
  const usesClusterPolicyChain = clusterEndpoints.length > 0 && usesClusterEndpoints(svc);
  const usesLocalPolicyChain = localEndpoints.length > 0 && usesLocalEndpoints(svc);
  let internalPolicyChain = svcChain;
  let hasInternalEndpoints = hasEndpoints;
  if (svc.internalPolicyLocal) {
    internalPolicyChain = svlChain;
    if (localEndpoints.length === 0) hasInternalEndpoints = false;
  }
  let externalPolicyChain = svcChain;
  let hasExternalEndpoints = hasEndpoints;
  if (svc.externalPolicyLocal) {
    externalPolicyChain = svlChain;
    if (localEndpoints.length === 0) hasExternalEndpoints = false;
  }
  const usesExternalTrafficChain = hasEndpoints && externallyAccessible(svc);
  const usesFWChain =
    hasEndpoints && svc.loadBalancerVIPs.length > 0 && svc.loadBalancerSourceRanges.length > 0;
  const lbTrafficChain = usesFWChain ? fwChain : extChain;

  let internalFilterTarget = "";
  let internalFilterComment = "";
  let externalFilterTarget = "";
  let externalFilterComment = "";
  if (!hasEndpoints) {
    internalFilterTarget = "REJECT";
    internalFilterComment = `"${spn} has no endpoints"`;
    externalFilterTarget = "REJECT";
    externalFilterComment = internalFilterComment;
  } else {
    if (!hasInternalEndpoints) {
      internalFilterTarget = "DROP";
      internalFilterComment = `"${spn} has no local endpoints"`;
      out.noLocalInternal = 1;
    }
    if (!hasExternalEndpoints) {
      externalFilterTarget = "DROP";
      externalFilterComment = `"${spn} has no local endpoints"`;
      out.noLocalExternal = 1;
    }
  }
  const pp = `-m ${proto} -p ${proto}`;
  const dport = `--dport ${svc.port}`;
  if (hasInternalEndpoints) {
    out.natServices.push(
      `-A KUBE-SERVICES -m comment --comment "${spn} cluster IP" ${pp} -d ${svc.clusterIP} ${dport} -j ${internalPolicyChain}`,
    );
  } else {
    out.filterServices.push(
      `-A KUBE-SERVICES -m comment --comment ${internalFilterComment} ${pp} -d ${svc.clusterIP} ${dport} -j ${internalFilterTarget}`,
    );
  }
  for (const ip of svc.externalIPs) {
    if (hasEndpoints)
      out.natServices.push(
        `-A KUBE-SERVICES -m comment --comment "${spn} external IP" ${pp} -d ${ip} ${dport} -j ${extChain}`,
      );
    if (!hasExternalEndpoints)
      out.filterExternalServices.push(
        `-A KUBE-EXTERNAL-SERVICES -m comment --comment ${externalFilterComment} ${pp} -d ${ip} ${dport} -j ${externalFilterTarget}`,
      );
  }
  for (const ip of svc.loadBalancerVIPs) {
    if (hasEndpoints)
      out.natServices.push(
        `-A KUBE-SERVICES -m comment --comment "${spn} loadbalancer IP" ${pp} -d ${ip} ${dport} -j ${lbTrafficChain}`,
      );
    if (usesFWChain)
      out.filterFirewall.push(
        `-A KUBE-PROXY-FIREWALL -m comment --comment "${spn} traffic not accepted by ${fwChain}" ${pp} -d ${ip} ${dport} -j DROP`,
      );
  }
  if (!hasExternalEndpoints) {
    for (const ip of svc.loadBalancerVIPs)
      out.filterExternalServices.push(
        `-A KUBE-EXTERNAL-SERVICES -m comment --comment ${externalFilterComment} ${pp} -d ${ip} ${dport} -j ${externalFilterTarget}`,
      );
  }
  if (svc.nodePort !== 0) {
    if (hasEndpoints) {
      if (cfg.family === "IPv4" && cfg.localhostNodePorts && cfg.nodePortAddresses.containsIPv4Loopback) {
        const acct = cfg.nfacct.has("localhost_nps_accepted_pkts")
          ? " -m nfacct --nfacct-name localhost_nps_accepted_pkts"
          : "";
        out.natNodePorts.push(
          `-A KUBE-NODEPORTS -m comment --comment ${spn} ${pp} -d 127.0.0.0/8 --dport ${svc.nodePort}${acct} -j ${extChain}`,
        );
      }
      out.natNodePorts.push(
        `-A KUBE-NODEPORTS -m comment --comment ${spn} ${pp} --dport ${svc.nodePort} -j ${extChain}`,
      );
    }
    if (!hasExternalEndpoints)
      out.filterExternalServices.push(
        `-A KUBE-EXTERNAL-SERVICES -m comment --comment ${externalFilterComment} -m addrtype --dst-type LOCAL ${pp} --dport ${svc.nodePort} -j ${externalFilterTarget}`,
      );
  }
  if (svc.healthCheckNodePort !== 0) {
    out.filterNodePorts.push(
      `-A KUBE-NODEPORTS -m comment --comment "${spn} health check node port" -m tcp -p tcp --dport ${svc.healthCheckNodePort} -j ACCEPT`,
    );
  }

  // Per-service nat chains. Rules of a chain are collected in write order; chain order
  // follows upstream's declaration order.
  const chains = out.natChains;
  const rulesOf = (chain: string): string[] => {
    let r = chains.get(chain);
    if (!r) {
      r = [];
      chains.set(chain, r);
    }
    return r;
  };
  const internalMasq: string[] = [];
  if (hasInternalEndpoints) {
    const args = `-m comment --comment "${spn} cluster IP" ${pp} -d ${svc.clusterIP} ${dport}`;
    if (cfg.masqueradeAll) internalMasq.push(`-A ${internalPolicyChain} ${args} -j KUBE-MARK-MASQ`);
    else if (cfg.podCIDR)
      internalMasq.push(`-A ${internalPolicyChain} ${args} ! -s ${cfg.podCIDR} -j KUBE-MARK-MASQ`);
  }
  if (usesExternalTrafficChain) {
    const r = rulesOf(extChain);
    if (!svc.externalPolicyLocal) {
      r.push(
        `-A ${extChain} -m comment --comment "masquerade traffic for ${spn} external destinations" -j KUBE-MARK-MASQ`,
      );
    } else {
      if (cfg.podCIDR)
        r.push(
          `-A ${extChain} -m comment --comment "pod traffic for ${spn} external destinations" -s ${cfg.podCIDR} -j ${svcChain}`,
        );
      r.push(
        `-A ${extChain} -m comment --comment "masquerade LOCAL traffic for ${spn} external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ`,
      );
      r.push(
        `-A ${extChain} -m comment --comment "route LOCAL traffic for ${spn} external destinations" -m addrtype --src-type LOCAL -j ${svcChain}`,
      );
    }
    if (hasExternalEndpoints) r.push(`-A ${extChain} -j ${externalPolicyChain}`);
  }
  if (usesFWChain) {
    const r = rulesOf(fwChain);
    const head = `-A ${fwChain} -m comment --comment "${spn} loadbalancer IP"`;
    let allowFromNode = false;
    const nodeIP = parseIP(cfg.nodeIPs[0]);
    for (const cidr of svc.loadBalancerSourceRanges) {
      r.push(`${head} -s ${cidr} -j ${extChain}`);
      const c = parseCIDR(cidr);
      if (c && nodeIP && cidrContains(c, nodeIP)) allowFromNode = true;
    }
    if (allowFromNode) for (const ip of svc.loadBalancerVIPs) r.push(`${head} -s ${ip} -j ${extChain}`);
    r.push(
      `-A ${fwChain} -m comment --comment "other traffic to ${spn} will be dropped by KUBE-PROXY-FIREWALL"`,
    );
  }
  const sepNames = new Map<string, string>();
  const sepName = (ep: EndpointInfo) => {
    let n = sepNames.get(ep.endpoint);
    if (n === undefined) {
      n = endpointChainName(spn, svc.protocol, ep.endpoint);
      sepNames.set(ep.endpoint, n);
    }
    return n;
  };
  const writeServiceToEndpoint = (chain: string, eps: EndpointInfo[]) => {
    const r = rulesOf(chain);
    if (chain === internalPolicyChain) r.push(...internalMasq);
    if (svc.sessionAffinityClientIP) {
      for (const ep of eps) {
        const sep = sepName(ep);
        const c = opts.largeClusterMode ? "" : ` -m comment --comment "${spn} -> ${ep.endpoint}"`;
        r.push(
          `-A ${chain}${c} -m recent --name ${sep} --rcheck --seconds ${svc.stickyMaxAgeSeconds} --reap -j ${sep}`,
        );
      }
    }
    const n = eps.length;
    eps.forEach((ep, i) => {
      const c = opts.largeClusterMode ? "" : ` -m comment --comment "${spn} -> ${ep.endpoint}"`;
      const stat = i < n - 1 ? ` -m statistic --mode random --probability ${computeProbability(n - i)}` : "";
      r.push(`-A ${chain}${c}${stat} -j ${sepName(ep)}`);
    });
  };
  if (usesClusterPolicyChain) writeServiceToEndpoint(svcChain, clusterEndpoints);
  if (usesLocalPolicyChain) writeServiceToEndpoint(svlChain, localEndpoints);
  for (const ep of allReachableEndpoints) {
    const sep = sepName(ep);
    const r = rulesOf(sep);
    const c = opts.largeClusterMode ? "" : ` -m comment --comment ${spn}`;
    r.push(`-A ${sep}${c} -s ${ep.ip} -j KUBE-MARK-MASQ`);
    const aff = svc.sessionAffinityClientIP ? ` -m recent --name ${sep} --set` : "";
    r.push(`-A ${sep}${c}${aff} ${pp} -j DNAT --to-destination ${ep.endpoint}`);
  }
  return out;
}

/** Is this one of the per-service chains kube-proxy owns (and may delete)? */
export function isServiceChainName(chain: string): boolean {
  return (
    chain.startsWith("KUBE-SVC-") ||
    chain.startsWith("KUBE-SVL-") ||
    chain.startsWith("KUBE-EXT-") ||
    chain.startsWith("KUBE-FW-") ||
    chain.startsWith("KUBE-SEP-")
  );
}
