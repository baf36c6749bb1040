/** What every proxier backend implements (internal; the public surface is createProxier). */
import type { EndpointInfo } from "./endpoint.ts";
import type { IpvsState } from "./ipvs-state.ts";
import type { SyncResult } from "./types.ts";

export interface BackendSyncInput {
  id: number;
  full: boolean;
  fullReason: string | undefined;
  changedServices: Set<string>;
  servicesChanged: number;
  endpointsChanged: number;
  /** serviceKey → its endpoints map at the previous sync (for conntrack cleanup). */
  previousEndpoints: Map<string, Map<string, EndpointInfo[]>>;
  now: number;
  existingNatChains?: readonly string[] | undefined;
  /** ipvs: the observed kernel state (ipvsadm -Sn + connection counts, ip addr, ipset list). */
  observedIpvs?: IpvsState | undefined;
  observedIpvsConnections?: Pick<IpvsState, "virtualServers" | "realServers"> | undefined;
}

export interface Backend {
  syncResult(input: BackendSyncInput): SyncResult;
  committed(id: number): void;
  failed(id: number): void;
}
