/** Topology-aware routing by endpoint hints (upstream pkg/proxy/topology_test.go semantics). */

import { describe, expect, it } from "../../test/harness.ts";
import type { EndpointSlice } from "../api/mod.ts";
import { createProxier } from "./mod.ts";
import { clusterIPService } from "./test-support/objects.ts";

function slice(
  hints: ({ zones?: string[]; nodes?: string[] } | undefined)[],
  ready: boolean[] = [],
): EndpointSlice {
  return {
    kind: "EndpointSlice",
    metadata: { namespace: "ns1", name: "svc1-a", labels: { "kubernetes.io/service-name": "svc1" } },
    addressType: "IPv4",
    ports: [{ name: "http", protocol: "TCP", port: 8080 }],
    endpoints: hints.map((h, i) => ({
      addresses: [`10.0.0.${i + 1}`],
      conditions: { ready: ready[i] ?? true },
      ...(h
        ? {
            hints: {
              ...(h.zones ? { forZones: h.zones.map((name) => ({ name })) } : {}),
              ...(h.nodes ? { forNodes: h.nodes.map((name) => ({ name })) } : {}),
            },
          }
        : {}),
    })),
  };
}

function dnatTargets(zone: string | undefined, s: EndpointSlice): string[] {
  const p = createProxier({
    mode: "iptables",
    hostname: "node-a",
    clusterCIDR: "10.0.0.0/8",
    ...(zone ? { nodeLabels: { "topology.kubernetes.io/zone": zone } } : {}),
  });
  p.handle({ kind: "Service", op: "add", object: clusterIPService(1) });
  p.handle({ kind: "EndpointSlice", op: "add", object: s });
  const text = p.sync({ now: 0 }).text;
  return [...text.matchAll(/--to-destination (\S+)/g)].map((m) => m[1]!).sort();
}

describe("topology hints", () => {
  it("uses only the endpoints hinted for this node's zone when every ready endpoint has zone hints", () => {
    const s = slice([{ zones: ["a"] }, { zones: ["b"] }, { zones: ["a"] }]);
    expect(dnatTargets("a", s)).toEqual(["10.0.0.1:8080", "10.0.0.3:8080"]);
    expect(dnatTargets("b", s)).toEqual(["10.0.0.2:8080"]);
  });
  it("ignores hints when the zone is unknown, has no endpoint, or some ready endpoint lacks hints", () => {
    const all = ["10.0.0.1:8080", "10.0.0.2:8080", "10.0.0.3:8080"];
    expect(dnatTargets(undefined, slice([{ zones: ["a"] }, { zones: ["b"] }, { zones: ["a"] }]))).toEqual(
      all,
    );
    expect(dnatTargets("c", slice([{ zones: ["a"] }, { zones: ["b"] }, { zones: ["a"] }]))).toEqual(all);
    expect(dnatTargets("a", slice([{ zones: ["a"] }, undefined, { zones: ["a"] }]))).toEqual(all);
  });
  it("not-ready endpoints do not count, and node hints win when every ready endpoint has them", () => {
    expect(
      dnatTargets("a", slice([{ zones: ["a"] }, undefined, { zones: ["b"] }], [true, false, true])),
    ).toEqual(["10.0.0.1:8080"]);
    expect(
      dnatTargets(
        "a",
        slice([
          { zones: ["a"], nodes: ["node-b"] },
          { zones: ["a"], nodes: ["node-a"] },
        ]),
      ),
    ).toEqual(["10.0.0.2:8080"]);
  });
  it("a zone change forces a full sync that applies the new hints", () => {
    const p = createProxier({
      mode: "nftables",
      hostname: "node-a",
      nodeLabels: { "topology.kubernetes.io/zone": "a" },
    });
    p.handle({ kind: "Service", op: "add", object: clusterIPService(1) });
    p.handle({ kind: "EndpointSlice", op: "add", object: slice([{ zones: ["a"] }, { zones: ["b"] }]) });
    const r = p.sync({ now: 0 });
    p.applied(r.id, true);
    expect(r.text).toContain("numgen random mod 1 ");
    p.setNodeLabels({ "topology.kubernetes.io/zone": "b" });
    expect(p.needsFullSync(1)).toBe("node-labels");
    const r2 = p.sync({ now: 1 });
    expect(r2.full).toBe(true);
    expect(r2.text).toMatch(
      /numgen random mod 1 vmap \{ 0 : goto endpoint-\w+-ns1\/svc1\/tcp\/http__10\.0\.0\.2\/8080 \}/,
    );
  });
});
