/** kite proxy's API-server object source: v1 slices, v1beta1 slices on v1.20, Endpoints fallback, its Node. */
import { afterEach, describe, expect, it } from "vitest";
import { ApiObjectSource } from "../../adapters/apiserver/proxy-source.ts";
import type { SourceEvent } from "../../adapters/proxy/sources/source.ts";
import { kubeClientFor, until } from "../apiserver/client.ts";
import {
  type FakeApiServer,
  type FakeApiServerOptions,
  startFakeApiServer,
} from "../apiserver/fake-apiserver.ts";

const svc = (name: string, labels: Record<string, string> = {}) => ({
  metadata: { name, namespace: "default", labels },
  spec: {
    type: "ClusterIP",
    clusterIP: "10.96.0.10",
    ports: [{ name: "http", port: 80, protocol: "TCP", targetPort: 8080 }],
  },
});
const slice = (name: string, service: string, ip: string) => ({
  metadata: { name, namespace: "default", labels: { "kubernetes.io/service-name": service } },
  addressType: "IPv4",
  endpoints: [{ addresses: [ip], conditions: { ready: true }, nodeName: "kite-n1" }],
  ports: [{ name: "http", port: 8080, protocol: "TCP" }],
});
const summary = (events: SourceEvent[]) => events.map((e) => `${e.op} ${e.kind} ${e.object.metadata.name}`);

describe("proxy object source", () => {
  let server: FakeApiServer;
  let source: ApiObjectSource | undefined;
  afterEach(async () => {
    await source?.stop();
    await server.stop();
  });

  async function start(options: FakeApiServerOptions) {
    server = await startFakeApiServer(options);
    server.seed("nodes", { metadata: { name: "kite-n1", labels: { "topology.kubernetes.io/zone": "a" } } });
    server.seed("nodes", { metadata: { name: "other" } });
    server.seed("services", svc("web"));
    server.seed("services", svc("elsewhere", { "service.kubernetes.io/service-proxy-name": "other-proxy" }));
    source = new ApiObjectSource({ client: kubeClientFor(server), nodeName: "kite-n1" });
    const batches: SourceEvent[][] = [];
    return { batches, started: () => (source as ApiObjectSource).start({ events: (e) => batches.push(e) }) };
  }

  it("watches Services, discovery/v1 EndpointSlices and its own Node", async () => {
    const { batches, started } = await start({ version: "v1.31.0" });
    server.seed("endpointslices", slice("web-abc", "web", "10.244.1.5"), "discovery.k8s.io");
    server.seed(
      "endpointslices",
      {
        ...slice("hl-1", "hl", "10.244.1.9"),
        metadata: {
          name: "hl-1",
          namespace: "default",
          labels: { "kubernetes.io/service-name": "hl", "service.kubernetes.io/headless": "" },
        },
      },
      "discovery.k8s.io",
    );
    await started();
    expect(source?.endpointsApi).toBe("discovery.k8s.io/v1");
    expect(batches).toHaveLength(1);
    expect(summary(batches[0] ?? [])).toEqual([
      "add Node kite-n1",
      "add Service web",
      "add EndpointSlice web-abc",
    ]);
    const web = server.get("endpointslices", "web-abc", "default", "discovery.k8s.io");
    server.seed(
      "endpointslices",
      { ...web, endpoints: [{ addresses: ["10.244.1.6"], conditions: { ready: true } }] },
      "discovery.k8s.io",
    );
    server.remove("services", "web", "default");
    await until(() => batches.length === 3, "live events");
    // Each resource has its own watch stream, so the order between kinds is not fixed.
    expect(batches.slice(1).flatMap(summary).sort()).toEqual([
      "delete Service web",
      "update EndpointSlice web-abc",
    ]);
    const upd = batches.flat().find((e) => e.op === "update" && e.kind === "EndpointSlice");
    expect(upd?.kind === "EndpointSlice" && upd.object.endpoints?.[0]?.addresses).toEqual(["10.244.1.6"]);
    server.seed("nodes", { metadata: { name: "kite-n1", labels: { "topology.kubernetes.io/zone": "b" } } });
    await until(() => batches.length === 4, "node update");
    expect(summary(batches[3] ?? [])).toEqual(["update Node kite-n1"]);
  });

  it("uses discovery.k8s.io/v1beta1 on a v1.20 API server and converts topology", async () => {
    const { batches, started } = await start({ version: "v1.20.15" });
    server.seed(
      "endpointslices",
      {
        ...slice("web-abc", "web", "10.244.1.5"),
        endpoints: [
          {
            addresses: ["10.244.1.5"],
            topology: { "kubernetes.io/hostname": "kite-n1", "topology.kubernetes.io/zone": "a" },
          },
        ],
      },
      "discovery.k8s.io",
    );
    await started();
    expect(source?.endpointsApi).toBe("discovery.k8s.io/v1beta1");
    expect(server.requests.some((r) => r.path === "/apis/discovery.k8s.io/v1beta1/endpointslices")).toBe(
      true,
    );
    const ev = batches[0]?.find((e) => e.kind === "EndpointSlice");
    expect(ev?.kind === "EndpointSlice" && ev.object.endpoints?.[0]).toEqual({
      addresses: ["10.244.1.5"],
      nodeName: "kite-n1",
      zone: "a",
    });
    expect(ev?.object.apiVersion).toBe("discovery.k8s.io/v1");
  });

  it("falls back to core Endpoints when no EndpointSlice API is served", async () => {
    const { batches, started } = await start({
      version: "v1.20.0",
      served: { "discovery.k8s.io/v1beta1": false },
    });
    server.seed("endpoints", {
      metadata: { name: "web", namespace: "default" },
      subsets: [
        {
          addresses: [{ ip: "10.244.1.5", nodeName: "kite-n1" }],
          notReadyAddresses: [{ ip: "10.244.2.7" }],
          ports: [{ name: "http", port: 8080, protocol: "TCP" }],
        },
      ],
    });
    await started();
    expect(source?.endpointsApi).toBe("v1");
    const ev = batches[0]?.find((e) => e.kind === "EndpointSlice");
    expect(ev?.object).toMatchObject({
      metadata: { name: "web-0", labels: { "kubernetes.io/service-name": "web" } },
      addressType: "IPv4",
      endpoints: [
        {
          addresses: ["10.244.1.5"],
          conditions: { ready: true, serving: true, terminating: false },
          nodeName: "kite-n1",
        },
        { addresses: ["10.244.2.7"], conditions: { ready: false, serving: false, terminating: false } },
      ],
      ports: [{ name: "http", port: 8080, protocol: "TCP" }],
    });
    server.seed("endpoints", { metadata: { name: "web", namespace: "default" }, subsets: [] });
    await until(() => batches.length === 2, "endpoints emptied");
    expect(summary(batches[1] ?? [])).toEqual(["delete EndpointSlice web-0"]);
  });
});
