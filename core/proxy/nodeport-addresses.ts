/**
 * NodePortAddresses (upstream pkg/proxy/util/nodeport_addresses.go): which local
 * addresses accept NodePort traffic, from `--nodeport-addresses` CIDRs.
 */
import { cidrContains, type IPFamily, type ParsedCIDR, parseCIDR, parseIP } from "./ip.ts";

export interface NodePortAddresses {
  family: IPFamily;
  /** No CIDR of this family was given, or 0.0.0.0/0 (::/0) was: every local address. */
  matchAll: boolean;
  cidrs: ParsedCIDR[];
  /** True if 127.0.0.1 may accept NodePort traffic (IPv4 only). */
  containsIPv4Loopback: boolean;
}

export function newNodePortAddresses(
  family: IPFamily,
  cidrStrings: readonly string[] | null | undefined,
): NodePortAddresses {
  const cidrs: ParsedCIDR[] = [];
  let matchAll = false;
  for (const s of cidrStrings ?? []) {
    const c = parseCIDR(s.trim());
    if (!c || c.family !== family) continue;
    cidrs.push(c);
    if (c.prefix === 0) matchAll = true;
  }
  if (cidrs.length === 0) {
    matchAll = true;
    cidrs.push(parseCIDR(family === "IPv4" ? "0.0.0.0/0" : "::/0")!);
  }
  let containsIPv4Loopback = false;
  if (family === "IPv4") {
    const loop = parseCIDR("127.0.0.0/8")!;
    const lo = parseIP("127.0.0.1")!;
    containsIPv4Loopback = cidrs.some(
      (c) =>
        cidrContains(c, lo) ||
        (c.prefix >= 8 && cidrContains(loop, { family: "IPv4", bytes: c.bytes, text: "" })),
    );
  }
  return { family, matchAll, cidrs, containsIPv4Loopback };
}

/** Local addresses (from interface CIDR strings) that accept NodePorts, in interface order, deduplicated. */
export function nodePortIPs(
  npa: NodePortAddresses,
  interfaces: Record<string, string[]> | undefined,
): string[] {
  const out: string[] = [];
  for (const addrs of Object.values(interfaces ?? {})) {
    for (const a of addrs) {
      const ip = parseIP(a.includes("/") ? a.slice(0, a.indexOf("/")) : a);
      if (!ip || ip.family !== npa.family) continue;
      if (npa.cidrs.some((c) => cidrContains(c, ip)) && !out.includes(ip.text)) out.push(ip.text);
    }
  }
  return out;
}
