/** Parts of a SyncResult common to all backends: counts, conntrack cleanup, health-check ports. */
import type { BackendSyncInput } from "./backend.ts";
import type { EndpointInfo } from "./endpoint.ts";
import type { EndpointsChangeTracker } from "./endpoints-change-tracker.ts";
import { portKey } from "./endpoints-change-tracker.ts";
import type { ServiceChangeTracker } from "./service-change-tracker.ts";
import type { ConntrackCleanup, SyncCounts, SyncResult } from "./types.ts";

export function emptyCounts(): SyncCounts {
  return {
    servicesChanged: 0,
    endpointsChanged: 0,
    servicePorts: 0,
    endpoints: 0,
    chainsWritten: 0,
    chainsDeleted: 0,
    rulesWritten: 0,
    elementsAdded: 0,
    elementsDeleted: 0,
    lines: 0,
    bytes: 0,
  };
}

export function commonResult(
  input: BackendSyncInput,
  services: ServiceChangeTracker,
  endpoints: EndpointsChangeTracker,
  mode: SyncResult["mode"],
): SyncResult {
  const counts = emptyCounts();
  counts.servicesChanged = input.servicesChanged;
  counts.endpointsChanged = input.endpointsChanged;
  for (const ports of services.services().values()) counts.servicePorts += ports.length;
  for (const ports of endpoints.all().values())
    for (const eps of ports.values()) counts.endpoints += eps.length;
  const conntrack: ConntrackCleanup = {
    required: false,
    serviceIPs: [],
    staleEndpoints: [],
    staleNodePorts: [],
  };
  const usable = (e: EndpointInfo) => e.ready || (e.serving && e.terminating);
  for (const [key, before] of input.previousEndpoints) {
    const after = endpoints.all().get(key) ?? new Map<string, EndpointInfo[]>();
    for (const pk of new Set([...before.keys(), ...after.keys()])) {
      const protocol = pk.slice(pk.lastIndexOf("#") + 1);
      if (protocol === "TCP") continue;
      const old = (before.get(pk) ?? []).filter(usable);
      const cur = (after.get(pk) ?? []).filter(usable);
      const curSet = new Set(cur.map((e) => e.endpoint));
      const removed = old.filter((e) => !curSet.has(e.endpoint));
      const newlyActive = old.length === 0 && cur.length > 0;
      if (removed.length || newlyActive) conntrack.required = true;
      const svc = services.portsOf(key).find((s) => portKey(s.spn, s.protocol) === pk);
      if (!svc) continue;
      const ips = [svc.clusterIP, ...svc.externalIPs, ...svc.loadBalancerVIPs];
      for (const e of removed) {
        for (const ip of ips)
          conntrack.staleEndpoints.push({
            serviceIP: ip,
            port: svc.port,
            endpointIP: e.ip,
            protocol: svc.protocol,
          });
        if (svc.nodePort)
          conntrack.staleEndpoints.push({
            serviceIP: "",
            port: svc.nodePort,
            endpointIP: e.ip,
            protocol: svc.protocol,
          });
      }
      if (newlyActive) {
        for (const ip of ips) conntrack.serviceIPs.push({ ip, protocol: svc.protocol });
        if (svc.nodePort) conntrack.staleNodePorts.push({ port: svc.nodePort, protocol: svc.protocol });
      }
    }
  }
  const healthCheckNodePorts: SyncResult["healthCheckNodePorts"] = [];
  for (const [key, ports] of services.services()) {
    const hc = ports.find((p) => p.healthCheckNodePort)?.healthCheckNodePort;
    if (hc)
      healthCheckNodePorts.push({ service: key, port: hc, localEndpoints: endpoints.localReadyOf(key) });
  }
  return {
    mode,
    id: input.id,
    full: input.full,
    ...(input.fullReason ? { fullReason: input.fullReason } : {}),
    text: "",
    empty: true,
    counts,
    conntrack,
    healthCheckNodePorts,
    noLocalEndpoints: { internal: 0, external: 0 },
    iptablesRulesLast: {},
    iptablesRulesTotal: {},
  };
}

export function finishText(result: SyncResult, text: string): SyncResult {
  result.text = text;
  result.empty = text.length === 0;
  result.counts.bytes = text.length;
  result.counts.lines = countLines(text);
  return result;
}

/** Lines in a text (a final newline does not start a line); counted without splitting. */
export function countLines(text: string): number {
  if (text.length === 0) return 0;
  let n = 0;
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) n++;
  return text.endsWith("\n") ? n : n + 1;
}
