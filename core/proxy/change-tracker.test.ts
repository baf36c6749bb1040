/** Change trackers: no-op changes are dropped; several slices merge; ports match by name and protocol. */
import { describe, expect, it } from "../../test/harness.ts";
import { createProxier } from "./mod.ts";
import { clusterIPService, sliceFor } from "./test-support/objects.ts";

const cfg = {
  mode: "iptables" as const,
  hostname: "node-a",
  clusterCIDR: "10.0.0.0/8",
  partialSyncForm: "minimal" as const,
};

describe("change trackers", () => {
  it("drop changes that end where they started", () => {
    const p = createProxier(cfg);
    p.handle({ kind: "Service", op: "add", object: clusterIPService(1) });
    p.handle({ kind: "EndpointSlice", op: "add", object: sliceFor(1, 2) });
    const r = p.sync({ now: 0 });
    p.applied(r.id, true);
    // update to the same content, an unrelated metadata change, add+delete of a new service
    p.handle({ kind: "Service", op: "update", object: clusterIPService(1) });
    const relabelled = sliceFor(1, 2);
    relabelled.metadata.annotations = { note: "x" };
    p.handle({ kind: "EndpointSlice", op: "update", object: relabelled });
    p.handle({ kind: "Service", op: "add", object: clusterIPService(2) });
    p.handle({ kind: "Service", op: "delete", object: clusterIPService(2) });
    // a change and its reversal
    p.handle({ kind: "EndpointSlice", op: "update", object: sliceFor(1, 3) });
    p.handle({ kind: "EndpointSlice", op: "update", object: sliceFor(1, 2) });
    expect(p.pending()).toEqual({ services: 0, endpoints: 0 });
    const r2 = p.sync({ now: 1 });
    expect(r2.empty).toBe(true);
    expect(r2.counts.servicesChanged + r2.counts.endpointsChanged).toBe(0);
  });

  it("merges several slices of one service, matching ports by name and protocol", () => {
    const p = createProxier(cfg);
    const svc = clusterIPService(1);
    svc.spec.ports = [
      { name: "http", protocol: "TCP", port: 80 },
      { name: "dns", protocol: "UDP", port: 53 },
    ];
    p.handle({ kind: "Service", op: "add", object: svc });
    const a = sliceFor(1, 2);
    const b = sliceFor(1, 1, 9);
    b.metadata.name = "svc1-def";
    b.ports = [
      { name: "http", protocol: "TCP", port: 8080 },
      { name: "dns", protocol: "UDP", port: 5353 },
      { name: "dns", protocol: "TCP", port: 5353 },
    ];
    p.handle({ kind: "EndpointSlice", op: "add", object: a });
    p.handle({ kind: "EndpointSlice", op: "add", object: b });
    const map = p.endpointsMap();
    expect(map.get("ns1/svc1:http#TCP")!.map((e) => e.endpoint)).toEqual([
      "10.0.0.17:8080",
      "10.0.0.18:8080",
      "10.0.0.25:8080",
    ]);
    expect(map.get("ns1/svc1:dns#UDP")!.map((e) => e.endpoint)).toEqual(["10.0.0.25:5353"]);
    const r = p.sync({ now: 0 });
    expect(r.text).toContain('"ns1/svc1:dns cluster IP" -m udp -p udp');
    expect(r.text).not.toContain("ns1/svc1:dns has no endpoints");
    // deleting one slice keeps the other's endpoints
    p.applied(r.id, true);
    p.handle({ kind: "EndpointSlice", op: "delete", object: b });
    expect(p.endpointsMap().get("ns1/svc1:http#TCP")!.length).toBe(2);
    const r2 = p.sync({ now: 1 });
    expect(r2.text).toContain('"ns1/svc1:dns has no endpoints"');
    expect(r2.conntrack.required).toBe(true);
    expect(r2.conntrack.staleEndpoints).toContainEqual({
      serviceIP: "172.16.0.1",
      port: 53,
      endpointIP: "10.0.0.25",
      protocol: "UDP",
    });
  });

  it("health-check node ports report local ready endpoints", () => {
    const p = createProxier({ ...cfg, nodeIPs: ["192.168.0.2"] });
    const svc = clusterIPService(1, {
      type: "LoadBalancer",
      externalTrafficPolicy: "Local",
      healthCheckNodePort: 30100,
      ports: [{ name: "http", protocol: "TCP", port: 80, nodePort: 30001 }],
    });
    p.handle({ kind: "Service", op: "add", object: svc });
    p.handle({ kind: "EndpointSlice", op: "add", object: sliceFor(1, 3, 1, "node-a") });
    const r = p.sync({ now: 0 });
    expect(r.healthCheckNodePorts).toEqual([{ service: "ns1/svc1", port: 30100, localEndpoints: 3 }]);
    expect(r.text).toContain('"ns1/svc1:http health check node port" -m tcp -p tcp --dport 30100 -j ACCEPT');
  });
});
