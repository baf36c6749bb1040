/** Small IPVS-mode helpers with upstream semantics (node IPs, probe outcome, address filters). */
import type { IPFamily } from "./ip.ts";
import { parseCIDR, parseIP } from "./ip.ts";

/** Upstream `filterCIDRs(wantIPv6, cidrs)`: the CIDRs of one family, order kept. */
export function filterCIDRs(wantIPv6: boolean, cidrs: readonly string[]): string[] {
  return cidrs.filter((c) => {
    const p = parseCIDR(c);
    return !!p && (p.family === "IPv6") === wantIPv6;
  });
}

function isLoopback(bytes: Uint8Array): boolean {
  return bytes.length === 4 ? bytes[0] === 127 : bytes.every((b, i) => (i === 15 ? b === 1 : b === 0));
}
function isIPv6LinkLocal(bytes: Uint8Array): boolean {
  return bytes.length === 16 && bytes[0] === 0xfe && (bytes[1]! & 0xc0) === 0x80;
}

/** Upstream `isValidForSet`: family matches (IPv4-mapped counts as IPv4), not loopback, not IPv6 link-local. */
export function isValidForSet(isIPv6: boolean, ip: string): boolean {
  const p = parseIP(ip);
  if (!p || (p.family === "IPv6") !== isIPv6) return false;
  if (isLoopback(p.bytes)) return false;
  if (isIPv6LinkLocal(p.bytes)) return false;
  return true;
}

/**
 * Node IPs for NodePort virtual servers: every local address of the family (not loopback, not
 * IPv6 link-local), minus the addresses bound to kube-ipvs0.
 */
export function ipvsNodeIPs(
  family: IPFamily,
  interfaces: Record<string, readonly string[]>,
  dummyDevice = "kube-ipvs0",
): string[] {
  const dummy = new Set((interfaces[dummyDevice] ?? []).map((a) => parseIP(a.split("/")[0])?.text));
  const out: string[] = [];
  for (const [dev, addrs] of Object.entries(interfaces)) {
    if (dev === dummyDevice) continue;
    for (const a of addrs) {
      const p = parseIP(a.split("/")[0]);
      if (!p || !isValidForSet(family === "IPv6", p.text) || dummy.has(p.text)) continue;
      if (!out.includes(p.text)) out.push(p.text);
    }
  }
  return out;
}

export interface IpvsProbe {
  /** `ipset --version` output's version, e.g. "v7.1" / "6.0". */
  ipsetVersion?: string | null;
  /** Error running `ipset --version`. */
  ipsetVersionError?: string | null;
  /** Error creating/deleting the dummy probe virtual server 198.51.100.0:20000/TCP. */
  probeError?: string | null;
}

export const minIPSetVersion = "6.0";
/** The probe virtual server upstream creates and deletes to test IPVS. */
export const probeVirtualServer = { address: "198.51.100.0", port: 20000, protocol: "TCP" };

function compareVersions(a: string, b: string): number {
  const pa = a
    .replace(/^v/, "")
    .split(".")
    .map((x) => Number.parseInt(x, 10) || 0);
  const pb = b
    .replace(/^v/, "")
    .split(".")
    .map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d) return d;
  }
  return 0;
}

/** Upstream CanUseIPVSProxier: ipset >= 6.0 and the probe virtual server could be created. */
export function canUseIPVS(p: IpvsProbe): boolean {
  if (p.ipsetVersionError) return false;
  if (!p.ipsetVersion || compareVersions(p.ipsetVersion, minIPSetVersion) < 0) return false;
  if (p.probeError) return false;
  return true;
}

/** The sysctls IPVS mode sets (upstream ipvs proxier), with `--ipvs-strict-arp` adding the ARP ones. */
export function ipvsSysctls(strictARP: boolean): { name: string; value: number }[] {
  const out = [
    { name: "net/ipv4/vs/conntrack", value: 1 },
    { name: "net/ipv4/vs/conn_reuse_mode", value: 0 },
    { name: "net/ipv4/vs/expire_nodest_conn", value: 1 },
    { name: "net/ipv4/vs/expire_quiescent_template", value: 1 },
    { name: "net/ipv4/ip_forward", value: 1 },
  ];
  if (strictARP)
    out.push(
      { name: "net/ipv4/conf/all/arp_ignore", value: 1 },
      { name: "net/ipv4/conf/all/arp_announce", value: 2 },
    );
  return out;
}
