/**
 * Renders the nftables objects of one service port as upstream's nftables proxier does
 * (pkg/proxy/nftables/proxier.go): its chains, affinity sets and map/set elements.
 */
import { nftEndpointName, nftNameBase, nftServicePortName } from "./chain-names.ts";
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

export interface NftElement {
  set: string;
  /** Element body: `key [comment "..."] [: verdict]`. */
  body: string;
  key: string;
}

export interface NftPortObjects {
  /** Chain name → rules, in creation order. */
  chains: Map<string, string[]>;
  /** Names of endpoint chains (content depends only on the name and affinity). */
  endpointChains: Set<string>;
  /** Affinity set name → spec. */
  affinitySets: Map<string, string>;
  elements: NftElement[];
  noLocalInternal: number;
  noLocalExternal: number;
}

export const markMasqChain = "mark-for-masquerade";
export const rejectChain = "reject-chain";

export function nftFamily(cfg: ResolvedConfig): { ipX: string; addrType: string; noLocalhost: string } {
  return cfg.family === "IPv4"
    ? { ipX: "ip", addrType: "ipv4_addr", noLocalhost: "ip daddr != 127.0.0.0/8" }
    : { ipX: "ip6", addrType: "ipv6_addr", noLocalhost: "ip6 daddr != ::1" };
}

function el(set: string, key: string, value?: string, comment?: string): NftElement {
  const body = `${key}${comment !== undefined ? ` comment "${comment}"` : ""}${value !== undefined ? ` : ${value}` : ""}`;
  return { set, key, body };
}

export function renderNftPort(
  cfg: ResolvedConfig,
  svc: ServicePortInfo,
  endpoints: EndpointInfo[],
): NftPortObjects {
  const { ipX, addrType } = nftFamily(cfg);
  const out: NftPortObjects = {
    chains: new Map(),
    endpointChains: new Set(),
    affinitySets: new Map(),
    elements: [],
    noLocalInternal: 0,
    noLocalExternal: 0,
  };
  const proto = svc.protocol.toLowerCase();
  const spName = nftServicePortName(svc.namespace, svc.name, proto, svc.portName);
  const base = nftNameBase(spName);
  const clusterPolicyChain = `service-${base}`;
  const localPolicyChain = `local-${base}`;
  const externalTrafficChain = `external-${base}`;
  const fwChain = `firewall-${base}`;
  const epBases = new Map<string, string>();
  const epBase = (ep: EndpointInfo) => {
    let b = epBases.get(ep.endpoint);
    if (b === undefined) {
      b = nftNameBase(nftEndpointName(spName, ep.ip, ep.port));
      epBases.set(ep.endpoint, b);
    }
    return b;
  };
  const epChain = (ep: EndpointInfo) => `endpoint-${epBase(ep)}`;
  const affinitySet = (ep: EndpointInfo) => `affinity-${epBase(ep)}`;
  const { clusterEndpoints, localEndpoints, allReachableEndpoints, hasAnyEndpoints } = categorizeEndpoints(
    endpoints,
    svc,
    cfg.topology,
  );
  const hasEndpoints = hasAnyEndpoints;
  const chain = (name: string): string[] => {
    let r = out.chains.get(name);
    if (!r) {
      r = [];
      out.chains.set(name, r);
    }
    return r;
  };
  for (const ep of allReachableEndpoints) {
    chain(epChain(ep));
    out.endpointChains.add(epChain(ep));
  }
  const usesClusterPolicyChain = clusterEndpoints.length > 0 && usesClusterEndpoints(svc);
  if (usesClusterPolicyChain) chain(clusterPolicyChain);
  const usesLocalPolicyChain = localEndpoints.length > 0 && usesLocalEndpoints(svc);
  if (usesLocalPolicyChain) chain(localPolicyChain);
  let internalPolicyChain = clusterPolicyChain;
  let hasInternalEndpoints = hasEndpoints;
  if (svc.internalPolicyLocal) {
    internalPolicyChain = localPolicyChain;
    if (localEndpoints.length === 0) hasInternalEndpoints = false;
  }
  let externalPolicyChain = clusterPolicyChain;
  let hasExternalEndpoints = hasEndpoints;
  if (svc.externalPolicyLocal) {
    externalPolicyChain = localPolicyChain;
    if (localEndpoints.length === 0) hasExternalEndpoints = false;
  }
  const usesExternalTrafficChain = hasEndpoints && externallyAccessible(svc);
  if (usesExternalTrafficChain) chain(externalTrafficChain);
  let internalVerdict = "";
  let externalVerdict = "";
  if (!hasEndpoints) {
    internalVerdict = `goto ${rejectChain}`;
    externalVerdict = `goto ${rejectChain}`;
  } else {
    if (!hasInternalEndpoints) {
      internalVerdict = "drop";
      out.noLocalInternal = 1;
    }
    if (!hasExternalEndpoints) {
      externalVerdict = "drop";
      out.noLocalExternal = 1;
    }
  }
  const port = String(svc.port);
  const spn = svc.spn;
  out.elements.push(el("cluster-ips", svc.clusterIP));
  const svcKey = (ip: string) => `${ip} . ${proto} . ${port}`;
  if (hasInternalEndpoints)
    out.elements.push(el("service-ips", svcKey(svc.clusterIP), `goto ${internalPolicyChain}`));
  else out.elements.push(el("no-endpoint-services", svcKey(svc.clusterIP), internalVerdict, spn));
  for (const ip of svc.externalIPs) {
    if (hasEndpoints) out.elements.push(el("service-ips", svcKey(ip), `goto ${externalTrafficChain}`));
    if (!hasExternalEndpoints)
      out.elements.push(el("no-endpoint-services", svcKey(ip), externalVerdict, spn));
  }
  const usesFWChain =
    hasEndpoints && svc.loadBalancerVIPs.length > 0 && svc.loadBalancerSourceRanges.length > 0;
  if (usesFWChain) {
    const sources: string[] = [];
    let allowFromNode = false;
    const nodeIP = parseIP(cfg.nodeIPs[0]);
    for (const cidr of svc.loadBalancerSourceRanges) {
      sources.push(cidr);
      const c = parseCIDR(cidr);
      if (c && nodeIP && cidrContains(c, nodeIP)) allowFromNode = true;
    }
    if (allowFromNode) sources.push(...svc.loadBalancerVIPs);
    chain(fwChain).push(`${ipX} saddr != { ${sources.join(", ")} } drop`);
  }
  for (const ip of svc.loadBalancerVIPs) {
    if (hasEndpoints) out.elements.push(el("service-ips", svcKey(ip), `goto ${externalTrafficChain}`));
    if (usesFWChain) out.elements.push(el("firewall-ips", svcKey(ip), `goto ${fwChain}`));
  }
  if (!hasExternalEndpoints)
    for (const ip of svc.loadBalancerVIPs)
      out.elements.push(el("no-endpoint-services", svcKey(ip), externalVerdict, spn));
  if (svc.nodePort !== 0) {
    const k = `${proto} . ${svc.nodePort}`;
    if (hasEndpoints) out.elements.push(el("service-nodeports", k, `goto ${externalTrafficChain}`));
    if (!hasExternalEndpoints) out.elements.push(el("no-endpoint-nodeports", k, externalVerdict, spn));
  }
  if (hasInternalEndpoints) {
    if (cfg.masqueradeAll)
      chain(internalPolicyChain).push(`${ipX} daddr ${svc.clusterIP} jump ${markMasqChain}`);
    else if (cfg.podCIDR)
      chain(internalPolicyChain).push(
        `${ipX} daddr ${svc.clusterIP} ${ipX} saddr != ${cfg.podCIDR} jump ${markMasqChain}`,
      );
  }
  if (usesExternalTrafficChain) {
    const r = chain(externalTrafficChain);
    if (!svc.externalPolicyLocal) r.push(`jump ${markMasqChain}`);
    else {
      if (cfg.podCIDR)
        r.push(`${ipX} saddr ${cfg.podCIDR} goto ${clusterPolicyChain} comment "short-circuit pod traffic"`);
      r.push(`fib saddr type local jump ${markMasqChain} comment "masquerade local traffic"`);
      r.push(`fib saddr type local goto ${clusterPolicyChain} comment "short-circuit local traffic"`);
    }
    if (hasExternalEndpoints) r.push(`goto ${externalPolicyChain}`);
  }
  if (svc.sessionAffinityClientIP)
    for (const ep of allReachableEndpoints)
      out.affinitySets.set(
        affinitySet(ep),
        `{ type ${addrType} ; flags dynamic,timeout ; timeout ${svc.stickyMaxAgeSeconds}s ; }`,
      );
  const toEndpoints = (svcChain: string, eps: EndpointInfo[]) => {
    const r = chain(svcChain);
    if (svc.sessionAffinityClientIP)
      for (const ep of eps) r.push(`${ipX} saddr @${affinitySet(ep)} goto ${epChain(ep)}`);
    const elems = eps.map((ep, i) => `${i} : goto ${epChain(ep)}`).join(" , ");
    r.push(`numgen random mod ${eps.length} vmap { ${elems} }`);
  };
  if (usesClusterPolicyChain) toEndpoints(clusterPolicyChain, clusterEndpoints);
  if (usesLocalPolicyChain) toEndpoints(localPolicyChain, localEndpoints);
  for (const ep of allReachableEndpoints) {
    const r = chain(epChain(ep));
    r.push(`${ipX} saddr ${ep.ip} jump ${markMasqChain}`);
    if (svc.sessionAffinityClientIP) r.push(`update @${affinitySet(ep)} { ${ipX} saddr }`);
    r.push(`meta l4proto ${proto} dnat to ${ep.endpoint}`);
  }
  return out;
}
