import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseObjects } from "./parse-objects.ts";

const svc = `apiVersion: v1
kind: Service
metadata: { name: web, namespace: shop }
spec:
  clusterIP: 10.96.0.10
  ports: [{ name: http, port: 80, protocol: TCP, targetPort: 8080 }]
`;
const slice = `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: web-1, labels: { kubernetes.io/service-name: web } }
addressType: IPv4
endpoints:
  - addresses: [10.244.0.10]
    conditions: { ready: true }
    nodeName: node-a
ports: [{ name: http, port: 8080, protocol: TCP }]
`;

describe("parseObjects", () => {
  it("reads several documents and defaults the namespace", () => {
    const r = parseObjects(`${svc}---\n${slice}---\nkind: ConfigMap\nmetadata: {name: x}\n`, "a.yaml");
    expect(r.problems).toEqual([]);
    expect(r.objects.map((o) => o.kind)).toEqual(["Service", "EndpointSlice"]);
    expect(r.objects[1]!.object.metadata.namespace).toBe("default");
  });

  it("reads a List and JSON", () => {
    const list = JSON.stringify({ kind: "List", items: [{ kind: "Node", metadata: { name: "n1" } }] });
    const r = parseObjects(list, "l.json");
    expect(r.objects).toHaveLength(1);
    expect(r.objects[0]!.kind).toBe("Node");
  });

  it("reports a bad field with its path and keeps the other documents", () => {
    const bad = svc.replace("port: 80", 'port: "eighty"');
    const r = parseObjects(`${bad}---\n${slice}`, "b.yaml");
    expect(r.objects.map((o) => o.kind)).toEqual(["EndpointSlice"]);
    expect(r.problems).toEqual([
      {
        origin: "b.yaml",
        field: "[0].spec.ports[0].port",
        message: 'must be a port number (0-65535), got "eighty"',
      },
    ]);
    expect(r.rejectedKeys).toEqual(["Service/shop/web"]);
  });

  it("reports missing addresses and bad conditions", () => {
    const r = parseObjects(
      "kind: EndpointSlice\nmetadata: {name: s}\naddressType: IPv4\nendpoints: [{conditions: {ready: yes please}, addresses: []}]\n",
      "c.yaml",
    );
    expect(r.problems[0]!.field).toBe("[0].endpoints[0].conditions.ready");
  });

  it("flags a YAML syntax error as such", () => {
    const r = parseObjects("kind: Service\nmetadata: {name: [\n", "d.yaml");
    expect(r.syntaxError).toBe(true);
    expect(r.objects).toEqual([]);
    expect(r.problems[0]!.origin).toBe("d.yaml");
  });

  it("never throws on arbitrary text or objects", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
        const r = parseObjects(text, "x");
        expect(Array.isArray(r.objects)).toBe(true);
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.anything(), (spec) => {
        const r = parseObjects(JSON.stringify({ kind: "Service", metadata: { name: "a" }, spec }) ?? "", "x");
        expect(r.objects.length + r.problems.length).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
  });
});
