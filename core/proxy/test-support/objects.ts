/** Builders for Services and EndpointSlices used by tests and benchmarks. */
import type { EndpointSlice, Service } from "../../api/mod.ts";

export function clusterIPService(i: number, opts: Partial<Service["spec"]> = {}): Service {
  return {
    kind: "Service",
    metadata: { namespace: `ns${i % 50}`, name: `svc${i}` },
    spec: {
      clusterIP: `172.${16 + Math.floor(i / 65536)}.${Math.floor(i / 256) % 256}.${i % 256}`,
      ports: [{ name: "http", protocol: "TCP", port: 80 }],
      ...opts,
    },
  };
}

export function sliceFor(i: number, endpoints: number, firstHost = 1, nodeName?: string): EndpointSlice {
  const eps = [];
  for (let e = 0; e < endpoints; e++) {
    const n = i * 16 + e + firstHost;
    eps.push({
      addresses: [`10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`],
      conditions: { ready: true },
      ...(nodeName ? { nodeName } : {}),
    });
  }
  return {
    kind: "EndpointSlice",
    metadata: {
      namespace: `ns${i % 50}`,
      name: `svc${i}-abc`,
      labels: { "kubernetes.io/service-name": `svc${i}` },
    },
    addressType: "IPv4",
    ports: [{ name: "http", protocol: "TCP", port: 8080 }],
    endpoints: eps,
  };
}
