/** The same node/proxy/extender flows against API servers from v1.20 to the newest: nothing assumed, all discovered. */
import { describe, expect, it } from "vitest";
import { chooseEndpointsApi, discoverServer } from "../../adapters/apiserver/discovery.ts";
import { NodeLease } from "../../adapters/apiserver/node-lease.ts";
import { registerWithApiServer } from "../../adapters/apiserver/node-registration.ts";
import { ApiObjectSource } from "../../adapters/apiserver/proxy-source.ts";
import { kubeClientFor } from "../apiserver/client.ts";
import { startFakeApiServer } from "../apiserver/fake-apiserver.ts";
import { nodeConfig } from "./node-config.ts";

const matrix = [
  ["v1.20.15", "discovery.k8s.io/v1beta1"],
  ["v1.21.14", "discovery.k8s.io/v1"],
  ["v1.24.17", "discovery.k8s.io/v1"],
  ["v1.25.16", "discovery.k8s.io/v1"],
  ["v1.33.1", "discovery.k8s.io/v1"],
] as const;

describe("API server versions", () => {
  for (const [version, endpointsApi] of matrix) {
    it(`${version}: registers, heartbeats and picks ${endpointsApi}`, async () => {
      const server = await startFakeApiServer({ version });
      try {
        const client = kubeClientFor(server);
        const apis = await discoverServer(client);
        expect(apis.version.gitVersion).toBe(version);
        expect(chooseEndpointsApi(apis)).toBe(endpointsApi);
        const node = await registerWithApiServer({ client, config: nodeConfig });
        await new NodeLease({
          client,
          nodeName: nodeConfig.nodeName,
          nodeUid: node.metadata.uid ?? "",
        }).renew();
        expect(
          server.get("leases", nodeConfig.nodeName, "kube-node-lease", "coordination.k8s.io"),
        ).toBeDefined();
        const source = new ApiObjectSource({ client });
        await source.start({ events: () => {} });
        expect(source.endpointsApi).toBe(endpointsApi);
        await source.stop();
      } finally {
        await server.stop();
      }
    });
  }

  it("refuses API servers older than v1.20 with a clear error", async () => {
    const server = await startFakeApiServer({ version: "v1.19.16" });
    try {
      await expect(discoverServer(kubeClientFor(server))).rejects.toMatchObject({
        code: "failed_precondition",
        message: expect.stringContaining("older than v1.20"),
      });
    } finally {
      await server.stop();
    }
  });
});
