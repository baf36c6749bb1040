/** Builds the core ProxierConfig from the flags and what the adapter learned about the node. */
import type { Node } from "../../core/api/mod.ts";
import type { ProxierConfig, ProxyMode } from "../../core/proxy/mod.ts";
import { firstGlobalIPv4 } from "./host-info.ts";
import type { ProxyOptions } from "./proxy-options.ts";

export interface NodeFacts {
  interfaces: Record<string, string[]>;
  node?: Node;
  conntrackTCPLiberal?: boolean;
  iptablesRandomFully?: boolean;
}

/** The node IP: --bind-address if specific, else the Node's InternalIP, else the first global address. */
export function detectNodeIP(options: ProxyOptions, facts: NodeFacts): string | undefined {
  if (options.bindAddress && options.bindAddress !== "0.0.0.0" && options.bindAddress !== "::")
    return options.bindAddress;
  return (
    facts.node?.status?.addresses?.find((a) => a.type === "InternalIP")?.address ??
    firstGlobalIPv4(facts.interfaces)
  );
}

export function buildProxierConfig(options: ProxyOptions, mode: ProxyMode, facts: NodeFacts): ProxierConfig {
  const nodeIP = detectNodeIP(options, facts);
  return {
    mode,
    hostname: options.hostname,
    nodeIPs: [nodeIP ?? "127.0.0.1"],
    clusterCIDR: options.clusterCIDR ?? null,
    masqueradeAll: options.masqueradeAll,
    masqueradeBit: options.masqueradeBit,
    // Upstream defaults nftables mode's --nodeport-addresses to the primary node IP.
    nodePortAddresses: options.nodePortAddresses ?? (mode === "nftables" ? ["primary"] : null),
    networkInterfaces: facts.interfaces,
    localhostNodePorts: options.localhostNodePorts,
    conntrackTCPLiberal: facts.conntrackTCPLiberal ?? false,
    iptablesRandomFully: mode !== "nftables" && (facts.iptablesRandomFully ?? true),
    syncPeriodMs: options.syncPeriodMs,
    ipvs: {
      scheduler: options.ipvsScheduler,
      excludeCIDRs: options.ipvsExcludeCIDRs,
      strictARP: options.ipvsStrictARP,
    },
  };
}
