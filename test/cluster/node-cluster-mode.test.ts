/** prepareClusterNode: from the node command's resolved config + cluster flags to a running cluster member. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clusterModeRequested, prepareClusterNode } from "../../adapters/apiserver/node-cluster-mode.ts";
import { createLogger } from "../../adapters/log/logger.ts";
import { resolveNodeConfig } from "../../adapters/node/node-config.ts";
import type { Node } from "../../core/api/mod.ts";
import { until } from "../apiserver/client.ts";
import { type FakeApiServer, startFakeApiServer } from "../apiserver/fake-apiserver.ts";
import { kubeConfigYaml } from "../apiserver/kubeconfig.ts";
import { hasOpenssl, opensslMissing, TestPki } from "../apiserver/test-pki.ts";

if (!hasOpenssl) console.info(`test/cluster/node-cluster-mode.test.ts skipped: ${opensslMissing}`);

describe.skipIf(!hasOpenssl)("kite node cluster mode from flags", () => {
  let pki: TestPki;
  let server: FakeApiServer;
  let dir: string;
  beforeAll(async () => {
    pki = new TestPki();
    const serving = pki.issue({ cn: "kube-apiserver" }, { server: true, ips: ["127.0.0.1"] });
    server = await startFakeApiServer({
      tls: { ...serving, ca: pki.ca.cert },
      autoApproveCsrs: true,
      signer: (pem) => pki.signCsr(pem),
      tokens: {
        "abcdef.0123456789abcdef": { username: "system:bootstrap:abcdef", groups: ["system:bootstrappers"] },
      },
    });
    dir = mkdtempSync(join(tmpdir(), "kite-cluster-mode-"));
  });
  afterAll(async () => {
    await server.stop();
    pki.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it("bootstraps, registers with the flags' labels, taints and reservations, and heartbeats", async () => {
    const log = createLogger({ write: () => {} });
    const config = resolveNodeConfig(
      { "hostname-override": "kite-cm", "root-dir": dir, "node-ip": "10.1.2.3" },
      () => {},
    );
    const bootstrap = join(dir, "bootstrap.conf");
    writeFileSync(
      bootstrap,
      kubeConfigYaml({ server: server.url, caCert: pki.ca.cert, token: "abcdef.0123456789abcdef" }),
    );
    const flags = {
      "bootstrap-kubeconfig": bootstrap,
      kubeconfig: join(dir, "kubelet.conf"),
      "node-labels": "node-role.kubernetes.io/kite=",
      "register-with-taints": "kite.io/agent=true:NoSchedule",
      "kube-reserved": "cpu=100m,memory=128Mi",
      "authentication-token-webhook": true,
    };
    expect(clusterModeRequested(flags)).toBe(true);
    expect(clusterModeRequested({})).toBe(false);
    const cluster = await prepareClusterNode(config, flags, log);
    try {
      expect(cluster.daemonExtras.sources).toHaveLength(1);
      expect(cluster.daemonExtras.sinks).toHaveLength(1);
      expect(cluster.auth).toBeDefined();
      await cluster.start();
      const node = server.get("nodes", "kite-cm") as unknown as Node;
      expect(node.metadata.labels?.["node-role.kubernetes.io/kite"]).toBe("");
      expect(node.spec?.taints?.[0]).toEqual({ key: "kite.io/agent", value: "true", effect: "NoSchedule" });
      expect(node.status?.addresses?.[0]).toEqual({ type: "InternalIP", address: "10.1.2.3" });
      expect(server.requests.find((r) => r.method === "POST" && r.path === "/api/v1/nodes")?.user).toBe(
        "system:node:kite-cm",
      );
      await until(
        () => server.get("leases", "kite-cm", "kube-node-lease", "coordination.k8s.io") !== undefined,
        "lease",
      );
    } finally {
      await cluster.stop();
    }
  });

  it("rejects a bad --authorization-mode and bad flag values before touching the API server", async () => {
    const config = resolveNodeConfig({ "hostname-override": "kite-bad", "root-dir": dir }, () => {});
    const log = createLogger({ write: () => {} });
    const before = server.requests.length;
    await expect(
      prepareClusterNode(config, { kubeconfig: "/nonexistent", "authorization-mode": "RBAC" }, log),
    ).rejects.toMatchObject({ field: "--authorization-mode" });
    await expect(
      prepareClusterNode(config, { kubeconfig: "/nonexistent", "register-with-taints": "x:Never" }, log),
    ).rejects.toMatchObject({ field: "--register-with-taints" });
    await expect(prepareClusterNode(config, { kubeconfig: "/nonexistent" }, log)).rejects.toMatchObject({
      field: "--kubeconfig",
    });
    expect(server.requests.length).toBe(before);
  });
});
