/**
 * The rules kube-proxy ensures outside the restore (`iptables -C || iptables -I`): jumps from the
 * built-in chains into kube-proxy's chains, and the canary chains. Re-ensured on full syncs.
 */
import type { ResolvedConfig } from "./config.ts";

export interface BaseRule {
  table: "filter" | "nat" | "mangle";
  /** Built-in chain the jump lives in. */
  chain: string;
  /** Arguments after `-I <chain>` / `-C <chain>`. */
  args: string[];
}

export interface BaseRules {
  /** Chains to create if missing (`iptables -N`), per table. */
  chains: { table: "filter" | "nat" | "mangle"; chain: string }[];
  jumps: BaseRule[];
  /** `KUBE-PROXY-CANARY` in mangle, nat and filter; a vanished canary means the tables were flushed. */
  canary: { table: "filter" | "nat" | "mangle"; chain: string }[];
}

export function iptablesBaseRules(
  cfg: Pick<ResolvedConfig, "family" | "localhostNodePorts" | "nodePortAddresses">,
): BaseRules {
  const j = (
    table: BaseRule["table"],
    chain: string,
    comment: string,
    target: string,
    extra: string[] = [],
  ): BaseRule => ({
    table,
    chain,
    args: [...extra, "-m", "comment", "--comment", comment, "-j", target],
  });
  const newState = ["-m", "conntrack", "--ctstate", "NEW"];
  const jumps: BaseRule[] = [
    j("filter", "INPUT", "kubernetes externally-visible service portals", "KUBE-EXTERNAL-SERVICES", newState),
    j(
      "filter",
      "FORWARD",
      "kubernetes externally-visible service portals",
      "KUBE-EXTERNAL-SERVICES",
      newState,
    ),
    j("filter", "INPUT", "kubernetes health check service ports", "KUBE-NODEPORTS"),
    j("filter", "FORWARD", "kubernetes service portals", "KUBE-SERVICES", newState),
    j("filter", "OUTPUT", "kubernetes service portals", "KUBE-SERVICES", newState),
    j("filter", "FORWARD", "kubernetes forwarding rules", "KUBE-FORWARD"),
    j("filter", "INPUT", "kubernetes load balancer firewall", "KUBE-PROXY-FIREWALL", newState),
    j("filter", "OUTPUT", "kubernetes load balancer firewall", "KUBE-PROXY-FIREWALL", newState),
    j("filter", "FORWARD", "kubernetes load balancer firewall", "KUBE-PROXY-FIREWALL", newState),
    j("nat", "OUTPUT", "kubernetes service portals", "KUBE-SERVICES"),
    j("nat", "PREROUTING", "kubernetes service portals", "KUBE-SERVICES"),
    j("nat", "POSTROUTING", "kubernetes postrouting rules", "KUBE-POSTROUTING"),
  ];
  const chains: BaseRules["chains"] = [
    { table: "filter", chain: "KUBE-EXTERNAL-SERVICES" },
    { table: "filter", chain: "KUBE-NODEPORTS" },
    { table: "filter", chain: "KUBE-SERVICES" },
    { table: "filter", chain: "KUBE-FORWARD" },
    { table: "filter", chain: "KUBE-PROXY-FIREWALL" },
    { table: "nat", chain: "KUBE-SERVICES" },
    { table: "nat", chain: "KUBE-POSTROUTING" },
  ];
  if (cfg.family === "IPv4" && cfg.localhostNodePorts && cfg.nodePortAddresses.containsIPv4Loopback) {
    chains.push({ table: "filter", chain: "KUBE-FIREWALL" });
    jumps.push(j("filter", "INPUT", "kube-proxy firewall rules", "KUBE-FIREWALL"));
    jumps.push(j("filter", "OUTPUT", "kube-proxy firewall rules", "KUBE-FIREWALL"));
  }
  const canary: BaseRules["canary"] = [
    { table: "mangle", chain: "KUBE-PROXY-CANARY" },
    { table: "nat", chain: "KUBE-PROXY-CANARY" },
    { table: "filter", chain: "KUBE-PROXY-CANARY" },
  ];
  return { chains, jumps, canary };
}

/** IPVS mode: the jumps from built-in chains into its helper chains (upstream iptablesJumpChain of the ipvs proxier). */
export function ipvsBaseRules(): BaseRules {
  const j = (table: BaseRule["table"], chain: string, target: string, comment: string): BaseRule => ({
    table,
    chain,
    args: ["-m", "comment", "--comment", comment, "-j", target],
  });
  return {
    chains: [
      { table: "nat", chain: "KUBE-SERVICES" },
      { table: "nat", chain: "KUBE-POSTROUTING" },
      { table: "filter", chain: "KUBE-FORWARD" },
      { table: "filter", chain: "KUBE-NODE-PORT" },
      { table: "filter", chain: "KUBE-PROXY-FIREWALL" },
      { table: "filter", chain: "KUBE-IPVS-FILTER" },
      { table: "filter", chain: "KUBE-IPVS-OUT-FILTER" },
    ],
    jumps: [
      j("nat", "OUTPUT", "KUBE-SERVICES", "kubernetes service portals"),
      j("nat", "PREROUTING", "KUBE-SERVICES", "kubernetes service portals"),
      j("nat", "POSTROUTING", "KUBE-POSTROUTING", "kubernetes postrouting rules"),
      j("filter", "FORWARD", "KUBE-FORWARD", "kubernetes forwarding rules"),
      j("filter", "INPUT", "KUBE-NODE-PORT", "kubernetes health check rules"),
      j("filter", "INPUT", "KUBE-PROXY-FIREWALL", "kube-proxy firewall rules"),
      j("filter", "FORWARD", "KUBE-PROXY-FIREWALL", "kube-proxy firewall rules"),
      j("filter", "INPUT", "KUBE-IPVS-FILTER", "kubernetes ipvs access filter"),
      j("filter", "OUTPUT", "KUBE-IPVS-OUT-FILTER", "kubernetes ipvs access filter"),
    ],
    canary: [
      { table: "mangle", chain: "KUBE-PROXY-CANARY" },
      { table: "nat", chain: "KUBE-PROXY-CANARY" },
      { table: "filter", chain: "KUBE-PROXY-CANARY" },
    ],
  };
}
