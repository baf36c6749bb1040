/** TLS bootstrapping and client certificate rotation against a TLS fake API server with a signer. */
import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCsr, generateNodeKey } from "../../adapters/apiserver/csr.ts";
import { KubeClient } from "../../adapters/apiserver/kube-client.ts";
import {
  ClientCertRotator,
  loadOrBootstrapClientCert,
  rotationDeadline,
} from "../../adapters/apiserver/tls-bootstrap.ts";
import { until } from "../apiserver/client.ts";
import { type FakeApiServer, startFakeApiServer } from "../apiserver/fake-apiserver.ts";
import { kubeConfigYaml } from "../apiserver/kubeconfig.ts";
import { hasOpenssl, opensslMissing, TestPki } from "../apiserver/test-pki.ts";

if (!hasOpenssl) console.info(`test/cluster/bootstrap.test.ts skipped: ${opensslMissing}`);

describe.skipIf(!hasOpenssl)("TLS bootstrap (--bootstrap-kubeconfig)", () => {
  let pki: TestPki;
  let server: FakeApiServer;
  let dir: string;
  beforeAll(async () => {
    pki = new TestPki();
    const serving = pki.issue({ cn: "kube-apiserver" }, { server: true, ips: ["127.0.0.1"] });
    server = await startFakeApiServer({
      tls: { ...serving, ca: pki.ca.cert },
      requireAuth: true,
      tokens: {
        "abcdef.0123456789abcdef": {
          username: "system:bootstrap:abcdef",
          groups: ["system:bootstrappers", "system:bootstrappers:kubeadm:default-node-token"],
        },
      },
      signer: (pem) => pki.signCsr(pem, { days: 1 }),
    });
    dir = mkdtempSync(join(tmpdir(), "kite-bootstrap-"));
  });
  afterAll(async () => {
    await server.stop();
    pki.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it("builds a CSR that openssl reads back with the node's subject and a valid signature", () => {
    const { key } = generateNodeKey();
    const pem = createCsr({ commonName: "system:node:n1", organizations: ["system:nodes"] }, key);
    const file = join(dir, "t.csr");
    writeFileSync(file, pem);
    const out = execFileSync("openssl", ["req", "-in", file, "-noout", "-verify", "-subject"], {
      stdio: "pipe",
    }).toString();
    expect(out).toMatch(/O\s*=\s*system:nodes,\s*CN\s*=\s*system:node:n1/);
  });

  it("sends a CSR with the bootstrap token, waits for approval, writes the kubeconfig, and rotates before expiry", async () => {
    const bootstrapPath = join(dir, "bootstrap-kubelet.conf");
    writeFileSync(
      bootstrapPath,
      kubeConfigYaml({
        server: server.url,
        caCert: pki.ca.cert,
        token: "abcdef.0123456789abcdef",
        user: "tls-bootstrap-token-user",
      }),
    );
    const kubeconfigPath = join(dir, "kubelet.conf");
    const certDir = join(dir, "pki");
    const done = loadOrBootstrapClientCert({
      nodeName: "n1",
      kubeconfigPath,
      bootstrapKubeconfigPath: bootstrapPath,
      certDir,
      pollIntervalMs: 10,
    });
    await until(
      () => server.list("certificatesigningrequests", "certificates.k8s.io").length === 1,
      "CSR created",
    );
    const csr = server.list("certificatesigningrequests", "certificates.k8s.io")[0];
    expect(csr?.spec).toMatchObject({
      signerName: "kubernetes.io/kube-apiserver-client-kubelet",
      usages: ["digital signature", "client auth"],
    });
    expect(server.requests.find((r) => r.method === "POST")?.user).toBe("system:bootstrap:abcdef");
    await server.approveCsr(csr?.metadata?.name ?? "");
    const creds = await done;
    const cert = new X509Certificate(creds.certPem);
    expect(cert.subject).toContain("CN=system:node:n1");
    expect(realpathSync(join(certDir, "kubelet-client-current.pem"))).toMatch(
      /kubelet-client-\d{8}T\d{6}\.pem$/,
    );
    // The written kubeconfig authenticates as the node.
    const client = new KubeClient(creds.kubeConfig);
    await client.get("/api/v1/nodes");
    expect(server.requests.at(-1)?.user).toBe("system:node:n1");
    // A second start finds the valid certificate and sends no CSR.
    const again = await loadOrBootstrapClientCert({
      nodeName: "n1",
      kubeconfigPath,
      bootstrapKubeconfigPath: bootstrapPath,
      certDir,
    });
    expect(again.certPem).toBe(creds.certPem);
    expect(server.list("certificatesigningrequests", "certificates.k8s.io")).toHaveLength(1);

    // Rotation: due between 70 % and 90 % of the lifetime.
    expect(rotationDeadline(creds.notBefore, creds.notAfter, () => 0).getTime()).toBe(
      creds.notBefore.getTime() + 0.7 * (creds.notAfter.getTime() - creds.notBefore.getTime()),
    );
    let now = new Date(creds.notBefore.getTime() + 1000);
    let rotated = 0;
    const rotator = new ClientCertRotator(creds, {
      nodeName: "n1",
      kubeconfigPath,
      certDir,
      now: () => now,
      random: () => 0.5,
      pollIntervalMs: 10,
      onRotate: () => rotated++,
    });
    expect(await rotator.rotateIfDue()).toBe(false);
    now = new Date(rotator.deadline.getTime() + 1);
    const rotating = rotator.rotateIfDue();
    await until(
      () => server.list("certificatesigningrequests", "certificates.k8s.io").length === 2,
      "rotation CSR",
    );
    const second = server
      .list("certificatesigningrequests", "certificates.k8s.io")
      .find((c) => c.metadata?.name !== csr?.metadata?.name);
    expect(server.requests.filter((r) => r.method === "POST").at(-1)?.user).toBe("system:node:n1");
    await server.approveCsr(second?.metadata?.name ?? "");
    expect(await rotating).toBe(true);
    expect(rotated).toBe(1);
    expect(rotator.current.certPem).not.toBe(creds.certPem);
    expect(readFileSync(join(certDir, "kubelet-client-current.pem"), "utf8")).toContain(
      rotator.current.certPem.trim(),
    );
  });

  it("reports a denied CSR as an error", async () => {
    const bootstrapPath = join(dir, "bootstrap2.conf");
    writeFileSync(
      bootstrapPath,
      kubeConfigYaml({ server: server.url, caCert: pki.ca.cert, token: "abcdef.0123456789abcdef" }),
    );
    const done = loadOrBootstrapClientCert({
      nodeName: "n2",
      kubeconfigPath: join(dir, "k2.conf"),
      bootstrapKubeconfigPath: bootstrapPath,
      certDir: join(dir, "pki2"),
      pollIntervalMs: 10,
    }).catch((e) => e);
    let name = "";
    await until(() => {
      name =
        server
          .list("certificatesigningrequests", "certificates.k8s.io")
          .find((c) => !(c.status as { conditions?: unknown[] })?.conditions)?.metadata?.name ?? "";
      return name !== "";
    }, "CSR");
    const csr = server.get("certificatesigningrequests", name, undefined, "certificates.k8s.io");
    server.seed(
      "certificatesigningrequests",
      {
        ...csr,
        status: { conditions: [{ type: "Denied", status: "True", reason: "NotAllowed", message: "nope" }] },
      },
      "certificates.k8s.io",
    );
    const err = await done;
    expect(err).toMatchObject({ code: "permission_denied" });
    expect(String(err.message)).toContain("denied");
  });

  it("without credentials or a bootstrap kubeconfig names the flag", async () => {
    await expect(
      loadOrBootstrapClientCert({
        nodeName: "n3",
        kubeconfigPath: join(dir, "missing.conf"),
        certDir: join(dir, "pki3"),
      }),
    ).rejects.toMatchObject({ code: "invalid_argument", field: "--kubeconfig" });
  });
});
