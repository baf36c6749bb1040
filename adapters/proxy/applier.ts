/**
 * An applier puts a proxier's sync result into the kernel of one network namespace and reads the
 * kernel's current state back (for `kite proxy plan` and for stale-chain detection).
 */
import type { ProxyMode, SyncResult } from "../../core/proxy/types.ts";

export interface Applier {
  readonly mode: ProxyMode;
  /** Applies one sync result; throws ApplyError when the kernel refused it. */
  apply(result: SyncResult): Promise<void>;
  /** True when the canary (iptables: KUBE-PROXY-CANARY in mangle/nat/filter; nftables: table ip kube-proxy) exists. */
  canaryPresent(): Promise<boolean>;
  /** The kernel's current rules, in the tool's own text form (iptables-save / nft list table / ipvsadm -Sn). */
  readCurrent(): Promise<string>;
  /** Resolves once background work of the last apply (nftables: stale-chain cleanup) is done. */
  settled?(): Promise<void>;
}
