/**
 * EndpointsChangeTracker + EndpointSliceCache: several EndpointSlices per Service merged
 * into one endpoint list per service port (matched by port name and protocol), sorted by
 * `IP:port`; no-op changes dropped.
 */
import { type EndpointSlice, serviceNameLabel } from "../api/mod.ts";
import type { EndpointInfo } from "./endpoint.ts";
import { canonicalIP, type IPFamily, joinHostPort } from "./ip.ts";
import { servicePortNameString } from "./service-port.ts";

/** Key of an endpoints-map entry: `spn` + "/" + protocol. */
export function portKey(spn: string, protocol: string): string {
  return `${spn}#${protocol}`;
}

export class EndpointsChangeTracker {
  readonly #family: IPFamily;
  readonly #hostname: string;
  /** serviceKey → sliceName → slice */
  readonly #slices = new Map<string, Map<string, EndpointSlice>>();
  /** serviceKey → portKey → endpoints */
  readonly #map = new Map<string, Map<string, EndpointInfo[]>>();
  readonly #serialized = new Map<string, string>();
  readonly #pending = new Map<string, string>();
  /** serviceKey → endpoints map at the last sync (for stale-endpoint detection). */
  readonly #previous = new Map<string, Map<string, EndpointInfo[]>>();

  constructor(family: IPFamily, hostname: string) {
    this.#family = family;
    this.#hostname = hostname;
  }

  update(op: "add" | "update" | "delete", slice: EndpointSlice): boolean {
    const ns = slice.metadata?.namespace ?? "default";
    const svcName = slice.metadata?.labels?.[serviceNameLabel];
    const sliceName = slice.metadata?.name ?? "";
    if (!svcName) return false;
    const key = `${ns}/${svcName}`;
    let slices = this.#slices.get(key);
    if (op === "delete") {
      if (!slices?.has(sliceName)) return false;
      slices.delete(sliceName);
      if (slices.size === 0) this.#slices.delete(key);
    } else {
      if (!slices) {
        slices = new Map();
        this.#slices.set(key, slices);
      }
      slices.set(sliceName, slice);
    }
    const before = this.#serialized.get(key) ?? "";
    const merged = this.#merge(ns, svcName, this.#slices.get(key));
    const after = merged.size ? JSON.stringify([...merged]) : "";
    if (!this.#pending.has(key)) {
      this.#pending.set(key, before);
      this.#previous.set(key, this.#map.get(key) ?? new Map());
    }
    if (after) {
      this.#map.set(key, merged);
      this.#serialized.set(key, after);
    } else {
      this.#map.delete(key);
      this.#serialized.delete(key);
    }
    if (this.#pending.get(key) === after) {
      this.#pending.delete(key);
      this.#previous.delete(key);
      return false;
    }
    return true;
  }

  #merge(
    ns: string,
    svcName: string,
    slices: Map<string, EndpointSlice> | undefined,
  ): Map<string, EndpointInfo[]> {
    const byPort = new Map<string, Map<string, EndpointInfo>>();
    if (!slices) return new Map();
    const names = [...slices.keys()].sort();
    for (const name of names) {
      const slice = slices.get(name)!;
      if (slice.addressType !== this.#family) continue;
      for (const p of slice.ports ?? []) {
        if (typeof p.port !== "number" || !Number.isInteger(p.port) || p.port <= 0 || p.port > 65535)
          continue;
        const protocol = p.protocol ?? "TCP";
        const key = portKey(servicePortNameString(ns, svcName, p.name ?? ""), protocol);
        let set = byPort.get(key);
        if (!set) {
          set = new Map();
          byPort.set(key, set);
        }
        for (const ep of slice.endpoints ?? []) {
          const addr = ep.addresses?.[0];
          const ip = canonicalIP(addr, this.#family);
          if (!ip) continue;
          const c = ep.conditions ?? {};
          const ready = c.ready == null ? true : c.ready;
          const info: EndpointInfo = {
            ip,
            port: p.port,
            endpoint: joinHostPort(ip, p.port),
            isLocal: !!ep.nodeName && ep.nodeName === this.#hostname,
            ready,
            serving: c.serving == null ? ready : c.serving,
            terminating: c.terminating == null ? false : c.terminating,
            nodeName: ep.nodeName ?? "",
            zone: ep.zone ?? "",
            zoneHints: (ep.hints?.forZones ?? []).map((z) => z.name).filter((n) => typeof n === "string"),
            nodeHints: (ep.hints?.forNodes ?? []).map((z) => z.name).filter((n) => typeof n === "string"),
          };
          const existing = set.get(info.endpoint);
          if (!existing || (!existing.ready && info.ready)) set.set(info.endpoint, info);
        }
      }
    }
    const out = new Map<string, EndpointInfo[]>();
    for (const [key, set] of [...byPort].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
      if (set.size === 0) continue;
      out.set(
        key,
        [...set.values()].sort((a, b) => (a.endpoint < b.endpoint ? -1 : a.endpoint > b.endpoint ? 1 : 0)),
      );
    }
    return out;
  }

  /** Pending service keys and their endpoints at the last sync; clears them. */
  takeChanges(): Map<string, Map<string, EndpointInfo[]>> {
    const out = new Map(this.#previous);
    for (const k of this.#pending.keys()) if (!out.has(k)) out.set(k, new Map());
    this.#pending.clear();
    this.#previous.clear();
    return out;
  }

  pendingCount(): number {
    return this.#pending.size;
  }

  /** Endpoints of one service port. */
  endpointsOf(serviceKey: string, spn: string, protocol: string): EndpointInfo[] {
    return this.#map.get(serviceKey)?.get(portKey(spn, protocol)) ?? [];
  }

  /** The whole endpoints map: serviceKey → portKey → endpoints. */
  all(): ReadonlyMap<string, Map<string, EndpointInfo[]>> {
    return this.#map;
  }

  /** Distinct local, ready endpoint IPs of one service (health-check node port answer). */
  localReadyOf(serviceKey: string): number {
    const ips = new Set<string>();
    for (const eps of this.#map.get(serviceKey)?.values() ?? [])
      for (const e of eps) if (e.isLocal && e.ready) ips.add(e.ip);
    return ips.size;
  }

  /** Local ready endpoint IPs per service (health-check node port answers). */
  localReadyEndpoints(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [svc, ports] of this.#map) {
      const ips = new Set<string>();
      for (const eps of ports.values()) for (const e of eps) if (e.isLocal && e.ready) ips.add(e.ip);
      if (ips.size) out.set(svc, ips.size);
    }
    return out;
  }
}
