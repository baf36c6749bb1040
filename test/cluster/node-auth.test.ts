/** 10250 authentication (client certificates, TokenReview) and authorization (SubjectAccessReview). */
import { request } from "node:https";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nodeAuth, requestAttributes } from "../../adapters/apiserver/node-auth.ts";
import { type RunningServer, serveApp } from "../../adapters/http/serve.ts";
import { kubeClientFor } from "../apiserver/client.ts";
import { type FakeApiServer, startFakeApiServer } from "../apiserver/fake-apiserver.ts";
import { kubeConfigYaml } from "../apiserver/kubeconfig.ts";
import { hasOpenssl, opensslMissing, type Pem, TestPki } from "../apiserver/test-pki.ts";

function get(
  port: number,
  path: string,
  ca: string,
  creds: { cert?: string; key?: string; token?: string } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path,
        ca,
        ...(creds.cert ? { cert: creds.cert, key: creds.key } : {}),
        headers: creds.token ? { authorization: `Bearer ${creds.token}` } : {},
        agent: false,
      },
      (res) => {
        let body = "";
        res.on("data", (c) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

if (!hasOpenssl) console.info(`test/cluster/node-auth.test.ts skipped: ${opensslMissing}`);

describe.skipIf(!hasOpenssl)("kite node 10250 authn/authz", () => {
  let pki: TestPki;
  let otherPki: TestPki;
  let api: FakeApiServer;
  let kubelet: RunningServer;
  let apiserverClient: Pem;
  let stranger: Pem;

  beforeAll(async () => {
    pki = new TestPki();
    otherPki = new TestPki("evil-ca");
    apiserverClient = pki.issue({ cn: "kube-apiserver-kubelet-client", o: ["kubeadm:cluster-admins"] });
    api = await startFakeApiServer({
      kubeletClient: { ...apiserverClient, ca: pki.ca.cert },
      tokens: {
        "admin-token": { username: "admin", groups: ["system:masters"] },
        "viewer-token": { username: "viewer", groups: [] },
      },
      authorize: (spec) => {
        const groups = (spec.groups as string[]) ?? [];
        if (spec.user === "kube-apiserver-kubelet-client" || groups.includes("system:masters"))
          return { allowed: true };
        const attrs = spec.resourceAttributes as { subresource?: string };
        if (spec.user === "viewer" && attrs.subresource === "stats") return { allowed: true };
        return { allowed: false, reason: "no RBAC policy matched" };
      },
    });
    stranger = otherPki.issue({ cn: "kube-apiserver-kubelet-client" });
    const serving = pki.issue({ cn: "kite-n1" }, { server: true, ips: ["127.0.0.1"] });
    const app = new Hono();
    app.use("*", nodeAuth({ client: kubeClientFor(api), nodeName: "kite-n1", clientCa: pki.ca.cert }));
    app.get("/containerLogs/:ns/:pod/:container", (c) => c.text(`logs of ${c.req.param("pod")}`));
    app.get("/stats/summary", (c) => c.json({ node: { nodeName: "kite-n1" } }));
    kubelet = await serveApp(app as never, {
      host: "127.0.0.1",
      port: 0,
      tls: {
        cert: serving.cert,
        key: serving.key,
        ca: pki.ca.cert,
        requestCert: true,
        rejectUnauthorized: false,
      },
    });
  });
  afterAll(async () => {
    await kubelet.close();
    await api.stop();
    pki.cleanup();
    otherPki.cleanup();
  });

  it("lets the API server's client certificate through (kubectl logs) after a SubjectAccessReview", async () => {
    const res = await get(kubelet.port, "/containerLogs/default/web/c", pki.ca.cert, apiserverClient);
    expect(res).toEqual({ status: 200, body: "logs of web" });
    expect(api.accessReviews.at(-1)).toMatchObject({
      user: "kube-apiserver-kubelet-client",
      groups: ["kubeadm:cluster-admins", "system:authenticated"],
      resourceAttributes: { verb: "get", resource: "nodes", subresource: "proxy", name: "kite-n1" },
    });
  });

  it("kubectl logs through the API server reaches the node; an API server with a foreign certificate is refused", async () => {
    const node = {
      metadata: { name: "kite-n1" },
      status: {
        addresses: [{ type: "InternalIP", address: "127.0.0.1" }],
        daemonEndpoints: { kubeletEndpoint: { Port: kubelet.port } },
      },
    };
    const pod = {
      metadata: { name: "web", namespace: "default" },
      spec: { nodeName: "kite-n1", containers: [{ name: "c", image: "i" }] },
    };
    api.seed("nodes", node);
    api.seed("pods", pod);
    const kc = new KubeConfig();
    kc.loadFromString(kubeConfigYaml({ server: api.url }));
    const logs = await kc
      .makeApiClient(CoreV1Api)
      .readNamespacedPodLog({ name: "web", namespace: "default", container: "c" });
    expect(logs).toBe("logs of web");
    // The same request from an API server whose kubelet client certificate the node does not trust.
    const rogue = await startFakeApiServer({ kubeletClient: stranger });
    try {
      rogue.seed("nodes", node);
      rogue.seed("pods", pod);
      const rkc = new KubeConfig();
      rkc.loadFromString(kubeConfigYaml({ server: rogue.url }));
      await expect(
        rkc
          .makeApiClient(CoreV1Api)
          .readNamespacedPodLog({ name: "web", namespace: "default", container: "c" }),
      ).rejects.toMatchObject({ code: 401 });
    } finally {
      await rogue.stop();
    }
  });

  it("authenticates bearer tokens with a TokenReview and authorizes per subresource", async () => {
    expect(
      (await get(kubelet.port, "/containerLogs/default/web/c", pki.ca.cert, { token: "admin-token" })).status,
    ).toBe(200);
    expect((await get(kubelet.port, "/stats/summary", pki.ca.cert, { token: "viewer-token" })).status).toBe(
      200,
    );
    const denied = await get(kubelet.port, "/containerLogs/default/web/c", pki.ca.cert, {
      token: "viewer-token",
    });
    expect(denied.status).toBe(403);
    expect(denied.body).toBe("Forbidden (user=viewer, verb=get, resource=nodes, subresource(s)=[proxy])");
    const reviews = api.requests.filter(
      (r) => r.path === "/apis/authentication.k8s.io/v1/tokenreviews",
    ).length;
    await get(kubelet.port, "/stats/summary", pki.ca.cert, { token: "viewer-token" });
    expect(api.requests.filter((r) => r.path === "/apis/authentication.k8s.io/v1/tokenreviews").length).toBe(
      reviews,
    ); // cached
  });

  it("refuses everyone else", async () => {
    expect((await get(kubelet.port, "/containerLogs/default/web/c", pki.ca.cert)).status).toBe(401);
    expect(
      (await get(kubelet.port, "/containerLogs/default/web/c", pki.ca.cert, { token: "forged" })).status,
    ).toBe(401);
    expect((await get(kubelet.port, "/containerLogs/default/web/c", pki.ca.cert, stranger)).status).toBe(401);
  });

  it("maps paths and methods to node subresources and verbs as the kubelet does", () => {
    expect(requestAttributes("GET", "/stats/summary", "n")).toMatchObject({
      verb: "get",
      subresource: "stats",
    });
    expect(requestAttributes("GET", "/metrics/cadvisor", "n")).toMatchObject({ subresource: "metrics" });
    expect(requestAttributes("GET", "/logs/syslog", "n")).toMatchObject({ subresource: "log" });
    expect(requestAttributes("POST", "/exec/ns/p/c", "n")).toMatchObject({
      verb: "create",
      subresource: "proxy",
    });
    expect(requestAttributes("POST", "/checkpoint/ns/p/c", "n")).toMatchObject({
      verb: "create",
      subresource: "checkpoint",
    });
    expect(requestAttributes("GET", "/pods", "n")).toMatchObject({
      subresource: "proxy",
      name: "n",
      resource: "nodes",
    });
  });
});
