/**
 * Public API of the kite service-proxy core (see docs/proxy-core.md).
 *
 *   const p = createProxier({ mode: "iptables", hostname: "node-1", nodeIPs: ["192.168.0.2"], clusterCIDR: "10.0.0.0/8" });
 *   p.handle({ kind: "Service", op: "add", object: svc });
 *   const r = p.sync({ now: Date.now() });   // r.text → iptables-restore --noflush --counters
 *   p.applied(r.id, ok);                      // a failure makes the next sync full
 */

export {
  endpointChainName,
  externalChainName,
  firewallChainName,
  nftEndpointName,
  nftNameBase,
  nftServicePortName,
  serviceChainName,
  serviceLocalChainName,
} from "./chain-names.ts";
export type { ResolvedConfig } from "./config.ts";
export { ipvsSchedulers, resolveConfig } from "./config.ts";
export type { EndpointInfo } from "./endpoint.ts";
export type { IPFamily } from "./ip.ts";
export { parseCIDR, parseIP } from "./ip.ts";
export type { BaseRule, BaseRules } from "./iptables-base-rules.ts";
export { iptablesBaseRules, ipvsBaseRules } from "./iptables-base-rules.ts";
export { normalizeRule as normalizeIptablesRule, parseIptablesSave } from "./iptables-save.ts";
export { computeProbability } from "./iptables-service-rules.ts";
export { ipvsFilterChains, ipvsNatChains } from "./ipvs-desired.ts";
export type { IpvsDiffOptions, IpvsOp, RenderedIpvsOps } from "./ipvs-diff.ts";
export { applyIpvsOps, diffIpvs, parseIpvsadmList, parseIpvsadmSave, renderIpvsOps } from "./ipvs-diff.ts";
export type { IpvsProbe } from "./ipvs-helpers.ts";
export {
  canUseIPVS,
  filterCIDRs,
  ipvsNodeIPs,
  ipvsSysctls,
  isValidForSet,
  probeVirtualServer,
} from "./ipvs-helpers.ts";
export type { IpvsFlag, IpvsState, RealServer, VirtualServer } from "./ipvs-state.ts";
export { emptyIpvsState, ipvsIpsets, rsKey, vsKey } from "./ipvs-state.ts";
export { normalizeNftRule, parseNftList } from "./nft-plan.ts";
export { NftState, sortNftLines } from "./nft-state.ts";
export type { NodePortAddresses } from "./nodeport-addresses.ts";
export { newNodePortAddresses, nodePortIPs } from "./nodeport-addresses.ts";
export type { Proxier, SyncOptions } from "./proxier.ts";
export { createProxier } from "./proxier.ts";
export type { PlanResult } from "./render.ts";
export { objectsToEvents, planRules, renderRules } from "./render.ts";
export type { ServicePortInfo } from "./service-port.ts";
export type {
  ConntrackCleanup,
  IPVSOptions,
  PartialSyncForm,
  PendingChanges,
  ProxierConfig,
  ProxyEvent,
  ProxyMode,
  SyncCounts,
  SyncResult,
} from "./types.ts";
