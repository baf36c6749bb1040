import { readFileSync } from "node:fs";
import type { Pod } from "../../core/api/mod.ts";

export interface DnsConfig {
  servers: string[];
  searches: string[];
  options: string[];
}

/** Reads nameserver/search/options from a resolv.conf. */
export function parseResolvConf(text: string): DnsConfig {
  const out: DnsConfig = { servers: [], searches: [], options: [] };
  for (const raw of text.split("\n")) {
    const line = raw.replace(/[#;].*$/, "").trim();
    const [key, ...rest] = line.split(/\s+/);
    if (key === "nameserver" && rest[0]) out.servers.push(rest[0]);
    else if (key === "search" || key === "domain") out.searches = rest;
    else if (key === "options") out.options.push(...rest);
  }
  return out;
}

/**
 * The sandbox DNS config (dns.go GetPodDNS): ClusterFirst with cluster DNS servers uses them and the cluster search
 * path; without cluster DNS (or dnsPolicy Default) the node's resolv.conf; "None" only dnsConfig. dnsConfig is merged.
 */
export function podDnsConfig(
  pod: Pod,
  opts: { clusterDns: string[]; clusterDomain: string; resolvConf: string },
): DnsConfig {
  const policy = pod.spec.dnsPolicy ?? "ClusterFirst";
  let base: DnsConfig = { servers: [], searches: [], options: [] };
  const clusterFirst =
    (policy === "ClusterFirst" && !pod.spec.hostNetwork) || policy === "ClusterFirstWithHostNet";
  if (policy !== "None") {
    if (clusterFirst && opts.clusterDns.length > 0) {
      const ns = pod.metadata.namespace ?? "default";
      const d = opts.clusterDomain;
      base = {
        servers: [...opts.clusterDns],
        searches: [`${ns}.svc.${d}`, `svc.${d}`, d],
        options: ["ndots:5"],
      };
    } else {
      try {
        base = parseResolvConf(readFileSync(opts.resolvConf, "utf8"));
      } catch {
        base = { servers: [], searches: [], options: [] };
      }
    }
  }
  const extra = pod.spec.dnsConfig;
  return {
    servers: [...base.servers, ...(extra?.nameservers ?? [])].slice(0, 3),
    searches: [...new Set([...base.searches, ...(extra?.searches ?? [])])].slice(0, 32),
    options: [
      ...base.options,
      ...(extra?.options ?? []).map((o) => (o.value ? `${o.name}:${o.value}` : o.name)),
    ],
  };
}
