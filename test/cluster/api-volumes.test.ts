/**
 * configMap/secret volume plugins of kite node in cluster mode, against the in-test API server, and the node
 * agent's side of them (RuntimeManager: set up before the sandbox, mounted read-only, errors in upstream words).
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiVolumePlugins } from "../../adapters/apiserver/api-volumes.ts";
import type { CriClient } from "../../adapters/cri/mod.ts";
import { createLogger } from "../../adapters/log/logger.ts";
import { RuntimeManager } from "../../adapters/node/runtime-manager.ts";
import type { Pod } from "../../core/api/mod.ts";
import { kubeClientFor } from "../apiserver/client.ts";
import { type FakeApiServer, startFakeApiServer } from "../apiserver/fake-apiserver.ts";

const apiPod = (volumes: NonNullable<Pod["spec"]["volumes"]>, source = "api"): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: {
    name: "web",
    namespace: "default",
    uid: "uid-1",
    annotations: { "kubernetes.io/config.source": source },
  },
  spec: {
    containers: [
      {
        name: "app",
        image: "busybox",
        volumeMounts: [
          { name: "cfg", mountPath: "/etc/cfg" },
          { name: "creds", mountPath: "/etc/creds", readOnly: false },
          { name: "scratch", mountPath: "/scratch" },
        ],
      },
    ],
    volumes,
  },
});

describe("configMap and secret volumes from the API server", () => {
  let api: FakeApiServer;
  let dir: string;
  let runtime: RuntimeManager;

  beforeAll(async () => {
    api = await startFakeApiServer();
    dir = mkdtempSync(join(tmpdir(), "kite-apivol-"));
    api.seed("configmaps", {
      metadata: { name: "app-config", namespace: "default" },
      data: { "app.conf": "v=1" },
    });
    api.seed("secrets", {
      metadata: { name: "app-secret", namespace: "default" },
      data: { token: Buffer.from("s3cret").toString("base64") },
    });
    runtime = new RuntimeManager({
      cri: {} as CriClient,
      paths: { rootDir: join(dir, "kubelet"), podLogsDir: join(dir, "logs") },
      cgroupRoot: "/",
      memoryCapacity: 1 << 30,
      clusterDns: [],
      clusterDomain: "cluster.local",
      resolvConf: "",
      log: createLogger({ write: () => {} } as never),
      volumePlugins: apiVolumePlugins(kubeClientFor(api)),
    });
  });
  afterAll(async () => {
    await api?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const volumes = [
    { name: "cfg", configMap: { name: "app-config" } },
    { name: "creds", secret: { secretName: "app-secret", defaultMode: 0o400 } },
    { name: "scratch", emptyDir: {} },
  ];
  const volDir = (plugin: string, name: string) =>
    join(dir, "kubelet", "pods", "uid-1", "volumes", plugin, name);

  it("writes the files before the pod starts and refreshes them on the next sync", async () => {
    const pod = apiPod(volumes);
    await runtime.setUpPluginVolumes(pod);
    expect(readFileSync(join(volDir("kubernetes.io~configmap", "cfg"), "app.conf"), "utf8")).toBe("v=1");
    const token = join(volDir("kubernetes.io~secret", "creds"), "token");
    expect(readFileSync(token, "utf8")).toBe("s3cret");
    expect(statSync(token).mode & 0o777).toBe(0o400);
    api.seed("configmaps", {
      metadata: { name: "app-config", namespace: "default" },
      data: { "app.conf": "v=2" },
    });
    await runtime.setUpPluginVolumes(pod);
    expect(readFileSync(join(volDir("kubernetes.io~configmap", "cfg"), "app.conf"), "utf8")).toBe("v=2");
  });

  it("mounts configMap and secret volumes read-only from the pod's volume folders", () => {
    const config = runtime.containerConfig(
      apiPod(volumes),
      apiPod(volumes).spec.containers[0]!,
      0,
      "10.0.0.2",
    );
    expect(config.mounts).toEqual([
      expect.objectContaining({
        containerPath: "/etc/cfg",
        hostPath: volDir("kubernetes.io~configmap", "cfg"),
        readonly: true,
      }),
      expect.objectContaining({
        containerPath: "/etc/creds",
        hostPath: volDir("kubernetes.io~secret", "creds"),
        readonly: true,
      }),
      expect.objectContaining({
        containerPath: "/scratch",
        hostPath: join(dir, "kubelet", "pods", "uid-1", "volumes", "kubernetes.io~empty-dir", "scratch"),
        readonly: false,
      }),
    ]);
  });

  it("a missing ConfigMap fails the setup with upstream's message; optional ones are empty", async () => {
    await expect(
      runtime.setUpPluginVolumes(apiPod([{ name: "cfg", configMap: { name: "nope" } }])),
    ).rejects.toThrow('MountVolume.SetUp failed for volume "cfg" : configmap "nope" not found');
    await runtime.setUpPluginVolumes(apiPod([{ name: "cfg", configMap: { name: "nope", optional: true } }]));
  });

  it("static pods cannot use them", async () => {
    await expect(
      runtime.setUpPluginVolumes(apiPod([{ name: "cfg", configMap: { name: "app-config" } }], "file")),
    ).rejects.toThrow(/static pods cannot use configMap or secret volumes/);
  });
});
