/**
 * IP and CIDR parsing for the proxy, with upstream's "sloppy" rules (netutils.ParseIPSloppy):
 * IPv4 octets may carry leading zeros and are read as decimal; the canonical form is
 * printed back. Invalid values yield undefined (callers skip them, as upstream does).
 */

export type IPFamily = "IPv4" | "IPv6";

export interface ParsedIP {
  family: IPFamily;
  /** 4 or 16 bytes. */
  bytes: Uint8Array;
  /** Canonical text (`10.0.0.1`, `2001:db8::1`). */
  text: string;
}

export interface ParsedCIDR {
  family: IPFamily;
  /** Network address bytes (host bits cleared). */
  bytes: Uint8Array;
  prefix: number;
  /** Canonical text (`10.0.0.0/8`). */
  text: string;
}

function parseIPv4(s: string): Uint8Array | undefined {
  const parts = s.split(".");
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (p.length === 0 || p.length > 3 || !/^[0-9]+$/.test(p)) return undefined;
    const v = Number.parseInt(p, 10);
    if (v > 255) return undefined;
    out[i] = v;
  }
  return out;
}

function parseIPv6(s: string): Uint8Array | undefined {
  if (s.length < 2 || s.length > 45) return undefined;
  let head = s;
  let v4tail: Uint8Array | undefined;
  const lastColon = s.lastIndexOf(":");
  if (s.includes(".")) {
    v4tail = parseIPv4(s.slice(lastColon + 1));
    if (!v4tail) return undefined;
    head = `${s.slice(0, lastColon + 1)}0:0`;
  }
  const dbl = head.indexOf("::");
  if (dbl !== head.lastIndexOf("::")) return undefined;
  const groups: number[] = [];
  const parseGroups = (part: string): number[] | undefined => {
    if (part === "") return [];
    const out: number[] = [];
    for (const g of part.split(":")) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(Number.parseInt(g, 16));
    }
    return out;
  };
  if (dbl >= 0) {
    const left = parseGroups(head.slice(0, dbl));
    const right = parseGroups(head.slice(dbl + 2));
    if (!left || !right || left.length + right.length > 7) return undefined;
    groups.push(...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right);
  } else {
    const all = parseGroups(head);
    if (all?.length !== 8) return undefined;
    groups.push(...all);
  }
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    out[i * 2] = groups[i]! >> 8;
    out[i * 2 + 1] = groups[i]! & 0xff;
  }
  if (v4tail) out.set(v4tail, 12);
  return out;
}

export function formatIPBytes(bytes: Uint8Array): string {
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((bytes[i * 2]! << 8) | bytes[i * 2 + 1]!);
  // IPv4-mapped addresses print in dotted form, as Go does for To4()-able addresses.
  // Longest run of zero groups (length >= 2) collapses to "::" (RFC 5952).
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLen).join(":")}`;
}

/** Parses an IP address sloppily (leading zeros in IPv4 allowed). IPv4-mapped IPv6 counts as IPv4. */
export function parseIP(s: string | null | undefined): ParsedIP | undefined {
  if (typeof s !== "string" || s.length === 0) return undefined;
  if (s.includes(":")) {
    const b = parseIPv6(s);
    if (!b) return undefined;
    const mapped = b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
    if (mapped) {
      const v4 = b.slice(12);
      return { family: "IPv4", bytes: v4, text: formatIPBytes(v4) };
    }
    return { family: "IPv6", bytes: b, text: formatIPBytes(b) };
  }
  const b = parseIPv4(s);
  return b ? { family: "IPv4", bytes: b, text: formatIPBytes(b) } : undefined;
}

/** Parses a CIDR sloppily; host bits are cleared in the result. */
export function parseCIDR(s: string | null | undefined): ParsedCIDR | undefined {
  if (typeof s !== "string") return undefined;
  const slash = s.indexOf("/");
  if (slash < 0) return undefined;
  const ip = parseIP(s.slice(0, slash));
  const pfx = s.slice(slash + 1);
  if (!ip || !/^[0-9]{1,3}$/.test(pfx)) return undefined;
  const prefix = Number.parseInt(pfx, 10);
  if (prefix > ip.bytes.length * 8) return undefined;
  const bytes = ip.bytes.slice();
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, prefix - i * 8));
    bytes[i] = bytes[i]! & ((0xff << (8 - keep)) & 0xff);
  }
  return { family: ip.family, bytes, prefix, text: `${formatIPBytes(bytes)}/${prefix}` };
}

export function cidrContains(cidr: ParsedCIDR, ip: ParsedIP): boolean {
  if (cidr.bytes.length !== ip.bytes.length) return false;
  for (let i = 0; i < cidr.bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, cidr.prefix - i * 8));
    const mask = (0xff << (8 - keep)) & 0xff;
    if ((ip.bytes[i]! & mask) !== cidr.bytes[i]) return false;
  }
  return true;
}

export function ipFamilyOf(s: string): IPFamily | undefined {
  return parseIP(s)?.family;
}

/** `IP:port`, IPv6 bracketed. */
export function joinHostPort(ip: string, port: number): string {
  return ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** Canonical IP text or undefined when not an IP of `family`. */
export function canonicalIP(s: string | null | undefined, family: IPFamily): string | undefined {
  const p = parseIP(s);
  return p && p.family === family ? p.text : undefined;
}
