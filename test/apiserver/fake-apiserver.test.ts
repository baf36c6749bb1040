/**
 * Fidelity of the in-test API server, checked with the official client (@kubernetes/client-node):
 * what the client sends and parses must work against the fake as against kube-apiserver.
 */
import {
  ApisApi,
  AuthenticationV1Api,
  AuthorizationV1Api,
  CertificatesV1Api,
  CoordinationV1Api,
  CoreV1Api,
  DiscoveryV1Api,
  KubeConfig,
  makeInformer,
  PatchStrategy,
  setHeaderOptions,
  type V1Pod,
  VersionApi,
  Watch,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeApiServer, startFakeApiServer } from "./fake-apiserver.ts";
import { kubeConfigYaml } from "./kubeconfig.ts";
import { hasOpenssl, opensslMissing, TestPki } from "./test-pki.ts";

function clientFor(
  server: FakeApiServer,
  extra: Partial<Parameters<typeof kubeConfigYaml>[0]> = {},
): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(kubeConfigYaml({ server: server.url, ...extra }));
  return kc;
}

const pod = (name: string, extra: Partial<V1Pod> = {}): V1Pod => ({
  metadata: { name, labels: { app: name.startsWith("web") ? "web" : "db" } },
  spec: { containers: [{ name: "c", image: "busybox" }] },
  ...extra,
});

const until = async (cond: () => boolean, what: string): Promise<void> => {
  for (let i = 0; i < 500; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
};

if (!hasOpenssl)
  console.info(`test/apiserver/fake-apiserver.test.ts: TLS and CSR cases skipped: ${opensslMissing}`);

describe("fake API server with @kubernetes/client-node", () => {
  let server: FakeApiServer;
  let kc: KubeConfig;
  let core: CoreV1Api;

  beforeAll(async () => {
    server = await startFakeApiServer({
      version: "v1.31.2",
      tokens: { good: { username: "alice", groups: ["devs"] } },
      authorize: (s) => ({ allowed: s.user === "alice" }),
    });
    kc = clientFor(server);
    core = kc.makeApiClient(CoreV1Api);
  });
  afterAll(async () => server.stop());

  it("serves version and discovery", async () => {
    const v = await kc.makeApiClient(VersionApi).getCode();
    expect(v.gitVersion).toBe("v1.31.2");
    expect(v.minor).toBe("31");
    const groups = await kc.makeApiClient(ApisApi).getAPIVersions();
    const discovery = groups.groups.find((g) => g.name === "discovery.k8s.io");
    expect(discovery?.versions.map((x) => x.version)).toEqual(["v1"]);
    const res = await core.getAPIResources();
    expect(res.resources.map((r) => r.name)).toContain("pods/binding");
  });

  it("creates, gets, lists with selectors and pages with continue", async () => {
    for (const n of ["web-1", "web-2", "db-1"])
      await core.createNamespacedPod({ namespace: "default", body: pod(n) });
    await expect(
      core.createNamespacedPod({ namespace: "default", body: pod("web-1") }),
    ).rejects.toMatchObject({ code: 409 });
    const got = await core.readNamespacedPod({ namespace: "default", name: "web-1" });
    expect(got.status?.phase).toBe("Pending");
    expect(got.metadata?.uid).toBeTruthy();
    const web = await core.listNamespacedPod({ namespace: "default", labelSelector: "app=web" });
    expect(web.items.map((p) => p.metadata?.name)).toEqual(["web-1", "web-2"]);
    const notWeb = await core.listNamespacedPod({ namespace: "default", labelSelector: "app notin (web)" });
    expect(notWeb.items.map((p) => p.metadata?.name)).toEqual(["db-1"]);
    const byName = await core.listPodForAllNamespaces({ fieldSelector: "metadata.name=db-1" });
    expect(byName.items).toHaveLength(1);
    const page1 = await core.listNamespacedPod({ namespace: "default", limit: 2 });
    expect(page1.items).toHaveLength(2);
    expect(page1.metadata?._continue).toBeTruthy();
    const page2 = await core.listNamespacedPod({
      namespace: "default",
      limit: 2,
      _continue: page1.metadata?._continue,
    });
    expect(page2.items.map((p) => p.metadata?.name)).toEqual(["web-2"]);
    expect(page2.metadata?._continue).toBeFalsy();
    server.compact();
    await expect(
      core.listNamespacedPod({ namespace: "default", limit: 2, _continue: page1.metadata?._continue }),
    ).rejects.toMatchObject({ code: 410 });
  });

  it("pages a consistent snapshot: later writes do not leak into the continuation", async () => {
    for (const n of ["c1", "c2", "c3"])
      await core.createNamespacedConfigMap({ namespace: "snap", body: { metadata: { name: n } } });
    const page1 = await core.listNamespacedConfigMap({ namespace: "snap", limit: 2 });
    expect(page1.items.map((c) => c.metadata?.name)).toEqual(["c1", "c2"]);
    await core.deleteNamespacedConfigMap({ namespace: "snap", name: "c3" });
    await core.createNamespacedConfigMap({ namespace: "snap", body: { metadata: { name: "c4" } } });
    await core.replaceNamespacedConfigMap({
      namespace: "snap",
      name: "c2",
      body: { metadata: { name: "c2" }, data: { v: "new" } },
    });
    const page2 = await core.listNamespacedConfigMap({
      namespace: "snap",
      limit: 2,
      _continue: page1.metadata?._continue,
    });
    expect(page2.items.map((c) => c.metadata?.name)).toEqual(["c3"]);
    expect(page2.metadata?.resourceVersion).toBe(page1.metadata?.resourceVersion);
    const exact = await core.listNamespacedConfigMap({
      namespace: "snap",
      resourceVersion: page1.metadata?.resourceVersion,
      resourceVersionMatch: "Exact",
    });
    expect(exact.items.map((c) => `${c.metadata?.name}:${c.data?.v ?? ""}`)).toEqual(["c1:", "c2:", "c3:"]);
    const now = await core.listNamespacedConfigMap({ namespace: "snap" });
    expect(now.items.map((c) => `${c.metadata?.name}:${c.data?.v ?? ""}`)).toEqual(["c1:", "c2:new", "c4:"]);
  });

  it("rejects stale updates with 409 and keeps status and spec apart", async () => {
    const p = await core.readNamespacedPod({ namespace: "default", name: "db-1" });
    const stale = structuredClone(p);
    p.metadata = { ...p.metadata, labels: { app: "db", tier: "x" } };
    const updated = await core.replaceNamespacedPod({ namespace: "default", name: "db-1", body: p });
    expect(Number(updated.metadata?.resourceVersion)).toBeGreaterThan(
      Number(stale.metadata?.resourceVersion),
    );
    await expect(
      core.replaceNamespacedPod({ namespace: "default", name: "db-1", body: stale }),
    ).rejects.toMatchObject({ code: 409 });
    // A status write cannot change spec; a spec write cannot change status.
    const s = structuredClone(updated);
    s.status = { ...s.status, phase: "Running" };
    s.spec = { ...s.spec, containers: [{ name: "c", image: "changed" }] };
    const afterStatus = await core.replaceNamespacedPodStatus({
      namespace: "default",
      name: "db-1",
      body: s,
    });
    expect(afterStatus.status?.phase).toBe("Running");
    expect(afterStatus.spec?.containers[0]?.image).toBe("busybox");
    const m = structuredClone(afterStatus);
    m.status = { phase: "Failed" };
    const afterMain = await core.replaceNamespacedPod({ namespace: "default", name: "db-1", body: m });
    expect(afterMain.status?.phase).toBe("Running");
  });

  it("applies strategic merge and merge patches to node status", async () => {
    await core.createNode({ body: { metadata: { name: "n1", labels: { a: "1" } } } });
    const conds = [
      { type: "Ready", status: "False", reason: "KubeletNotReady" },
      { type: "MemoryPressure", status: "False", reason: "KubeletHasSufficientMemory" },
    ];
    await core.patchNodeStatus(
      { name: "n1", body: { status: { conditions: conds } } },
      setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch),
    );
    const patched = await core.patchNodeStatus(
      {
        name: "n1",
        body: {
          status: {
            $setElementOrder_conditions: undefined,
            conditions: [{ type: "Ready", status: "True", reason: "KubeletReady" }],
          },
          metadata: { labels: { b: "2" } },
        },
      },
      setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch),
    );
    expect(patched.status?.conditions?.map((c) => `${c.type}=${c.status}`)).toEqual([
      "Ready=True",
      "MemoryPressure=False",
    ]);
    const merged = await core.patchNode(
      {
        name: "n1",
        body: { metadata: { labels: { a: null } }, spec: { taints: [{ key: "k", effect: "NoSchedule" }] } },
      },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    expect(merged.metadata?.labels).toEqual({ b: "2" });
    expect(merged.spec?.taints).toHaveLength(1);
    expect(merged.status?.conditions).toHaveLength(2);
  });

  it("binds pods once and deletes bound pods gracefully", async () => {
    await core.createNamespacedPod({ namespace: "default", body: pod("bind-me") });
    await core.createNamespacedPodBinding({
      namespace: "default",
      name: "bind-me",
      body: { metadata: { name: "bind-me" }, target: { kind: "Node", name: "n1" } },
    });
    const bound = await core.readNamespacedPod({ namespace: "default", name: "bind-me" });
    expect(bound.spec?.nodeName).toBe("n1");
    expect(bound.status?.conditions?.find((c) => c.type === "PodScheduled")?.status).toBe("True");
    await expect(
      core.createNamespacedPodBinding({
        namespace: "default",
        name: "bind-me",
        body: { metadata: { name: "bind-me" }, target: { kind: "Node", name: "n2" } },
      }),
    ).rejects.toMatchObject({ code: 409 });
    const deleting = await core.deleteNamespacedPod({
      namespace: "default",
      name: "bind-me",
      gracePeriodSeconds: 20,
    });
    expect(deleting.metadata?.deletionTimestamp).toBeTruthy();
    expect(deleting.metadata?.deletionGracePeriodSeconds).toBe(20);
    expect(server.get("pods", "bind-me", "default")).toBeDefined();
    await core.deleteNamespacedPod({ namespace: "default", name: "bind-me", gracePeriodSeconds: 0 });
    expect(server.get("pods", "bind-me", "default")).toBeUndefined();
    // Unbound pods go at once.
    await core.deleteNamespacedPod({ namespace: "default", name: "web-2" });
    expect(server.get("pods", "web-2", "default")).toBeUndefined();
  });

  it("streams watch events with bookmarks, and answers an expired resourceVersion with 410", async () => {
    const events: string[] = [];
    let lastRv = "";
    const start = server.resourceVersion;
    const ctrl = await new Watch(kc).watch(
      "/api/v1/namespaces/default/pods",
      { allowWatchBookmarks: true, resourceVersion: start, fieldSelector: "spec.nodeName=n9" },
      (type, obj) => {
        events.push(`${type}:${obj.metadata?.name ?? ""}`);
        lastRv = obj.metadata?.resourceVersion;
      },
      () => {},
    );
    await until(() => server.watchCount > 0, "watch");
    await core.createNamespacedPod({ namespace: "default", body: pod("w1") });
    await core.createNamespacedPodBinding({
      namespace: "default",
      name: "w1",
      body: { metadata: { name: "w1" }, target: { name: "n9" } },
    });
    server.sendBookmarks();
    await until(() => events.includes("BOOKMARK:"), "bookmark");
    expect(events).toEqual(["ADDED:w1", "BOOKMARK:"]);
    expect(lastRv).toBe(server.resourceVersion);
    ctrl.abort();
    server.compact();
    let gone: unknown;
    const ctrl2 = await new Watch(kc).watch(
      "/api/v1/namespaces/default/pods",
      { resourceVersion: start },
      (type, obj) => {
        if (type === "ERROR") gone = obj;
      },
      () => {},
    );
    await until(() => gone !== undefined, "410");
    expect(gone).toMatchObject({ code: 410, reason: "Expired" });
    ctrl2.abort();
  });

  it("feeds the client's own informer, which relists after 410 and reconnects after a restart", async () => {
    const path = "/api/v1/namespaces/inf/configmaps";
    const informer = makeInformer(kc, path, () => core.listNamespacedConfigMap({ namespace: "inf" }));
    const seen = new Map<string, string>();
    informer.on("add", (o) => seen.set(o.metadata?.name ?? "", "add"));
    informer.on("update", (o) => seen.set(o.metadata?.name ?? "", "update"));
    informer.on("delete", (o) => seen.set(o.metadata?.name ?? "", "delete"));
    informer.on("error", () => setTimeout(() => void informer.start().catch(() => {}), 50));
    await core.createNamespacedConfigMap({
      namespace: "inf",
      body: { metadata: { name: "a" }, data: { k: "1" } },
    });
    await informer.start();
    await until(() => seen.get("a") === "add", "add a");
    await core.replaceNamespacedConfigMap({
      namespace: "inf",
      name: "a",
      body: { metadata: { name: "a" }, data: { k: "2" } },
    });
    await until(() => seen.get("a") === "update", "update a");
    await server.restart();
    await core.createNamespacedConfigMap({ namespace: "inf", body: { metadata: { name: "b" } } });
    await until(() => seen.get("b") === "add", "add b after restart");
    await informer.stop();
  });

  it.skipIf(!hasOpenssl)(
    "handles CSRs, approval and signing; token and access reviews (needs openssl)",
    async () => {
      const pki = new TestPki();
      try {
        const signing = await startFakeApiServer({ signer: (pem) => pki.signCsr(pem) });
        const ckc = clientFor(signing);
        const certs = ckc.makeApiClient(CertificatesV1Api);
        const csrPem = pki.csr({ cn: "system:node:n1", o: ["system:nodes"] }).csr;
        await certs.createCertificateSigningRequest({
          body: {
            metadata: { name: "csr-1" },
            spec: {
              request: Buffer.from(csrPem).toString("base64"),
              signerName: "kubernetes.io/kube-apiserver-client-kubelet",
              usages: ["digital signature", "client auth"],
            },
          },
        });
        await signing.approveCsr("csr-1");
        const csr = await certs.readCertificateSigningRequest({ name: "csr-1" });
        expect(csr.status?.conditions?.[0]?.type).toBe("Approved");
        expect(Buffer.from(csr.status?.certificate ?? "", "base64").toString()).toContain(
          "BEGIN CERTIFICATE",
        );
        await signing.stop();
      } finally {
        pki.cleanup();
      }
      const tr = await kc
        .makeApiClient(AuthenticationV1Api)
        .createTokenReview({ body: { spec: { token: "good" } } });
      expect(tr.status?.authenticated).toBe(true);
      expect(tr.status?.user?.username).toBe("alice");
      const bad = await kc
        .makeApiClient(AuthenticationV1Api)
        .createTokenReview({ body: { spec: { token: "bad" } } });
      expect(bad.status?.authenticated).toBe(false);
      const sar = await kc.makeApiClient(AuthorizationV1Api).createSubjectAccessReview({
        body: {
          spec: { user: "alice", resourceAttributes: { verb: "get", resource: "nodes", subresource: "log" } },
        },
      });
      expect(sar.status?.allowed).toBe(true);
    },
  );

  it("serves leases and endpoint slices; older servers serve discovery v1beta1 only", async () => {
    const leases = kc.makeApiClient(CoordinationV1Api);
    const l = await leases.createNamespacedLease({
      namespace: "kube-node-lease",
      body: { metadata: { name: "n1" }, spec: { holderIdentity: "n1", leaseDurationSeconds: 40 } },
    });
    expect(l.spec?.leaseDurationSeconds).toBe(40);
    const slices = kc.makeApiClient(DiscoveryV1Api);
    await slices.createNamespacedEndpointSlice({
      namespace: "default",
      body: {
        metadata: { name: "s-1", labels: { "kubernetes.io/service-name": "s" } },
        addressType: "IPv4",
        endpoints: [{ addresses: ["10.0.0.1"] }],
      },
    });
    const list = await slices.listNamespacedEndpointSlice({
      namespace: "default",
      labelSelector: "kubernetes.io/service-name=s",
    });
    expect(list.items[0]?.endpoints[0]?.addresses).toEqual(["10.0.0.1"]);
    const old = await startFakeApiServer({ version: "v1.20.15" });
    const okc = clientFor(old);
    const groups = await okc.makeApiClient(ApisApi).getAPIVersions();
    expect(groups.groups.find((g) => g.name === "discovery.k8s.io")?.versions.map((v) => v.version)).toEqual([
      "v1beta1",
    ]);
    await expect(okc.makeApiClient(DiscoveryV1Api).listEndpointSliceForAllNamespaces()).rejects.toMatchObject(
      { code: 404 },
    );
    await old.stop();
  });

  it.skipIf(!hasOpenssl)(
    "authenticates TLS client certificates and bearer tokens (needs openssl)",
    async () => {
      const pki = new TestPki();
      const serving = pki.issue({ cn: "kube-apiserver" }, { server: true, ips: ["127.0.0.1"] });
      const tls = await startFakeApiServer({
        tls: { ...serving, ca: pki.ca.cert },
        requireAuth: true,
        tokens: { t0k: { username: "bob" } },
      });
      try {
        const client = pki.issue({ cn: "system:node:n1", o: ["system:nodes"] });
        const ckc = clientFor(tls, { caCert: pki.ca.cert, clientCert: client.cert, clientKey: client.key });
        await ckc.makeApiClient(CoreV1Api).listNode();
        expect(tls.requests.at(-1)?.user).toBe("system:node:n1");
        const tkc = clientFor(tls, { caCert: pki.ca.cert, token: "t0k" });
        await tkc.makeApiClient(CoreV1Api).listNode();
        expect(tls.requests.at(-1)?.user).toBe("bob");
        const anon = clientFor(tls, { caCert: pki.ca.cert });
        await expect(anon.makeApiClient(CoreV1Api).listNode()).rejects.toMatchObject({ code: 401 });
      } finally {
        await tls.stop();
        pki.cleanup();
      }
    },
  );
});
