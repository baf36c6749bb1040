/**
 * Chain and object names derived from service-port and endpoint names, exactly as
 * upstream derives them: base32 (RFC 4648, upper case) of SHA-256, truncated.
 */
import { sha256String } from "./sha256.ts";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** The first `chars` base32 characters of `bytes` (no padding needed for a prefix). */
export function base32Prefix(bytes: Uint8Array, chars: number): string {
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (let i = 0; i < bytes.length && out.length < chars; i++) {
    buffer = ((buffer << 8) | bytes[i]!) & 0xffff;
    bits += 8;
    while (bits >= 5 && out.length < chars) {
      out += ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

const cache = new Map<string, string>();

/** 16-character hash used by the iptables proxier (`KUBE-SVC-<hash>`). */
export function iptablesHash(input: string): string {
  let h = cache.get(input);
  if (h === undefined) {
    h = base32Prefix(sha256String(input), 16);
    if (cache.size > 500_000) cache.clear();
    cache.set(input, h);
  }
  return h;
}

/** Hash of a service port: `servicePortName.String()` + lowercase protocol. */
export function servicePortChainHash(servicePortName: string, protocol: string): string {
  return iptablesHash(servicePortName + protocol.toLowerCase());
}

export function serviceChainName(spn: string, protocol: string): string {
  return `KUBE-SVC-${servicePortChainHash(spn, protocol)}`;
}
export function serviceLocalChainName(spn: string, protocol: string): string {
  return `KUBE-SVL-${servicePortChainHash(spn, protocol)}`;
}
export function externalChainName(spn: string, protocol: string): string {
  return `KUBE-EXT-${servicePortChainHash(spn, protocol)}`;
}
export function firewallChainName(spn: string, protocol: string): string {
  return `KUBE-FW-${servicePortChainHash(spn, protocol)}`;
}
/** `KUBE-SEP-<hash>` for one endpoint (`endpoint` = `IP:port`, IPv6 `[ip]:port`). */
export function endpointChainName(spn: string, protocol: string, endpoint: string): string {
  return `KUBE-SEP-${iptablesHash(spn + protocol.toLowerCase() + endpoint)}`;
}

/** nftables name base: `<8 base32 chars>-<name>`, cut to 240 chars with `...`. */
const nftCache = new Map<string, string>();

export function nftNameBase(name: string): string {
  const cached = nftCache.get(name);
  if (cached !== undefined) return cached;
  if (nftCache.size > 500_000) nftCache.clear();
  const base = nftNameBaseUncached(name);
  nftCache.set(name, base);
  return base;
}

function nftNameBaseUncached(name: string): string {
  const hash = base32Prefix(sha256String(name), 8);
  const full = `${hash}-${name}`;
  return full.length > 240 ? `${full.slice(0, 237)}...` : full;
}

/** nftables service-port name: `ns/svc/proto/portName`. */
export function nftServicePortName(
  namespace: string,
  name: string,
  protocol: string,
  portName: string,
): string {
  return `${namespace}/${name}/${protocol.toLowerCase()}/${portName}`;
}

/** nftables endpoint name: `<svcPortName>__<ip with : as .>/<port>`. */
export function nftEndpointName(servicePortNftName: string, ip: string, port: number): string {
  return `${servicePortNftName}__${ip.replaceAll(":", ".")}/${port}`;
}
