/** EndpointInfo: one endpoint of one service port (upstream pkg/proxy/endpoint.go BaseEndpointInfo). */
export interface EndpointInfo {
  ip: string;
  port: number;
  /** `IP:port` (IPv6 `[ip]:port`) — upstream Endpoint.String(), the sort key. */
  endpoint: string;
  isLocal: boolean;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  nodeName: string;
  zone: string;
  /** Topology hints: zones / nodes this endpoint is meant for (empty = no hint). */
  zoneHints: string[];
  nodeHints: string[];
}
