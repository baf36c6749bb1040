/**
 * `kite node` against a real containerd started by the test (own folders and network namespace). One environment
 * for the whole file, tests in order; each leaves the node in a state the next can rely on.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCriClient } from "../../adapters/cri/mod.ts";
import { localImages } from "../../adapters/node/local-images.ts";
import { which } from "../../adapters/node/private-containerd.ts";
import type { Pod } from "../../core/api/mod.ts";
import { type NodeEnv, skipReason, startNodeEnv } from "./node-env.ts";

const skip = skipReason();
if (skip) console.warn(`skipping node integration tests: ${skip}`);
const examples = resolve(import.meta.dirname, "../../examples/manifests");

function container(p: Pod | undefined, name: string) {
  return [...(p?.status?.containerStatuses ?? []), ...(p?.status?.initContainerStatuses ?? [])].find(
    (c) => c.name === name,
  );
}

describe.skipIf(!!skip)("kite node on a private containerd", () => {
  let env: NodeEnv;
  const token = "s3cret-token";

  beforeAll(async () => {
    env = await startNodeEnv();
    writeFileSync(join(env.dir, "tokens.csv"), `${token},admin,1,"system:masters"\n`);
    cpSync(join(examples, "web.yaml"), join(env.manifests, "web.yaml"));
    await env.startDaemon(["--token-auth-file", join(env.dir, "tokens.csv")]);
  }, 120_000);

  afterAll(async () => {
    await env?.destroy();
  }, 120_000);

  it("runs a static pod whose readiness probe passes over the pod IP", async () => {
    const pod = await env.waitFor("web ready", () => {
      const p = env.pod("web");
      return p?.status?.conditions?.find((c) => c.type === "Ready")?.status === "True" ? p : undefined;
    });
    expect(pod.status?.phase).toBe("Running");
    expect(pod.status?.podIP).toMatch(/^10\.88\./);
    expect(pod.status?.qosClass).toBe("Burstable");
    const httpd = container(pod, "httpd");
    expect(httpd?.ready).toBe(true);
    expect(httpd?.restartCount).toBe(0);
    // The same port answers from the node's network namespace (what the probe used).
    expect(env.inNetns(["wget", "-qO-", `http://${pod.status?.podIP}:8080/index.html`])).toContain(
      "hello from kite",
    );
    // The CRI objects carry the kubelet's labels.
    const cri = createCriClient({ socketPath: env.ctd.socketPath });
    const { containers } = await cri.runtime.listContainers({
      filter: { labelSelector: { "io.kubernetes.pod.name": "web-testnode" } },
    });
    expect(containers[0]?.labels).toMatchObject({
      "io.kubernetes.pod.namespace": "default",
      "io.kubernetes.pod.uid": pod.metadata.uid,
      "io.kubernetes.container.name": "httpd",
    });
    // Logs in the CRI layout under the pod log folder.
    const logDir = join(env.dir, "logs", `default_web-testnode_${pod.metadata.uid}`, "httpd");
    expect(existsSync(join(logDir, "0.log"))).toBe(true);
  }, 60_000);

  it("refuses an unauthenticated request on 10250 and accepts a known bearer token", () => {
    const anon = env.inNetns([
      "curl",
      "-sk",
      "-o",
      "/dev/null",
      "-w",
      "%{http_code}",
      "https://127.0.0.1:10250/pods",
    ]);
    expect(anon).toBe("401");
    const wrong = env.inNetns([
      "curl",
      "-sk",
      "-o",
      "/dev/null",
      "-w",
      "%{http_code}",
      "-H",
      "Authorization: Bearer nope",
      "https://127.0.0.1:10250/pods",
    ]);
    expect(wrong).toBe("401");
    const body = env.inNetns([
      "curl",
      "-sk",
      "-H",
      `Authorization: Bearer ${token}`,
      "https://127.0.0.1:10250/pods",
    ]);
    const list = JSON.parse(body) as { kind: string; items: Pod[] };
    expect(list.kind).toBe("PodList");
    expect(list.items.map((p) => p.metadata.name)).toContain("web-testnode");
    const get = (path: string) =>
      env.inNetns(["curl", "-sk", "-H", `Authorization: Bearer ${token}`, `https://127.0.0.1:10250${path}`]);
    // httpd -v logs every probe request to stderr; the CRI log is read back in kubectl's shape.
    const logs = get("/containerLogs/default/web-testnode/httpd?timestamps=true").trim().split("\n");
    for (const line of logs) expect(line).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z /);
    // busybox httpd -v logs one "response:200" line per probe request.
    expect(logs.join("\n")).toContain("response:200");
    const tail = get("/containerLogs/default/web-testnode/httpd?tailLines=1").trim().split("\n");
    expect(tail).toHaveLength(1);
    const summary = JSON.parse(get("/stats/summary")) as {
      node: { nodeName: string; memory: { workingSetBytes: number }; fs: { capacityBytes: number } };
      pods: {
        podRef: { name: string };
        containers: { name: string; memory?: { workingSetBytes: number } }[];
      }[];
    };
    expect(summary.node.nodeName).toBe("testnode");
    expect(summary.node.memory.workingSetBytes).toBeGreaterThan(0);
    expect(summary.node.fs.capacityBytes).toBeGreaterThan(0);
    const web = summary.pods.find((p) => p.podRef.name === "web-testnode");
    expect(web?.containers.map((c) => c.name)).toEqual(["httpd"]);
    expect(get("/metrics")).toMatch(/^kubelet_running_pods \d+$/m);
    expect(JSON.parse(get("/runningpods/")).items.map((p: Pod) => p.metadata.name)).toContain("web-testnode");
    // The read-only port is off by default.
    expect(() => env.inNetns(["curl", "-s", "http://127.0.0.1:10255/pods"])).toThrow();
  });

  it("restarts a container whose liveness probe fails, with crash-loop back-off", async () => {
    writeFileSync(
      join(env.manifests, "liveness.yaml"),
      `apiVersion: v1
kind: Pod
metadata: { name: liveness }
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: app
      image: ${localImages.busybox}
      command: ["sleep", "3600"]
      livenessProbe:
        exec: { command: ["test", "-f", "/tmp/healthy"] }
        periodSeconds: 1
        failureThreshold: 1
`,
    );
    const backedOff = await env.waitFor(
      "CrashLoopBackOff after liveness failures",
      () => {
        const c = container(env.pod("liveness"), "app");
        return c?.state?.waiting?.reason === "CrashLoopBackOff" ? c : undefined;
      },
      45_000,
    );
    expect(backedOff.restartCount).toBeGreaterThanOrEqual(1);
    expect(backedOff.lastState?.terminated?.exitCode).toBe(137);
    expect(backedOff.state?.waiting?.message).toMatch(/^back-off \d+s restarting failed container=app/);
    rmSync(join(env.manifests, "liveness.yaml"));
    await env.waitFor("liveness pod gone", () => !env.pod("liveness"), 30_000);
  }, 90_000);

  it("reports a malformed manifest with its file and field while the other pods keep running", async () => {
    const before = container(env.pod("web"), "httpd")?.containerID;
    writeFileSync(
      join(env.manifests, "broken.yaml"),
      `apiVersion: v1
kind: Pod
metadata: { name: broken }
spec:
  containers:
    - name: app
      command: ["true"]
`,
    );
    writeFileSync(join(env.manifests, "garbage.yaml"), "apiVersion: v1\nkind: Pod\nmetadata: [unclosed\n");
    const errors = await env.waitFor("manifest errors", () => {
      const e = env.status().errors;
      return e.length >= 2 ? e : undefined;
    });
    const broken = errors.find((e) => e.origin.endsWith("broken.yaml"));
    expect(broken?.field).toBe("spec.containers[0].image");
    expect(broken?.message).toContain("required");
    expect(errors.find((e) => e.origin.endsWith("garbage.yaml"))?.message).toMatch(/invalid YAML/);
    expect(env.pod("broken")).toBeUndefined();
    const web = env.pod("web");
    expect(web?.status?.phase).toBe("Running");
    expect(container(web, "httpd")?.containerID).toBe(before);
    rmSync(join(env.manifests, "broken.yaml"));
    rmSync(join(env.manifests, "garbage.yaml"));
  }, 60_000);

  it("stops a removed pod within its grace period, running its preStop hook", async () => {
    const marker = join(env.dir, "hostdir");
    mkdirSync(marker);
    writeFileSync(
      join(env.manifests, "graceful.yaml"),
      `apiVersion: v1
kind: Pod
metadata: { name: graceful }
spec:
  terminationGracePeriodSeconds: 3
  volumes:
    - name: host
      hostPath: { path: ${marker} }
  containers:
    - name: app
      image: ${localImages.busybox}
      command: ["sleep", "3600"]
      volumeMounts: [{ name: host, mountPath: /host }]
      lifecycle:
        preStop:
          exec: { command: ["touch", "/host/prestop-ran"] }
`,
    );
    await env.waitFor("graceful running", () => env.pod("graceful")?.status?.phase === "Running");
    const cri = createCriClient({ socketPath: env.ctd.socketPath });
    rmSync(join(env.manifests, "graceful.yaml"));
    // sleep ignores SIGTERM as PID 1, so only the grace period's SIGKILL ends it: gone within 3 s + relist slack.
    const gone = await env.waitFor("graceful sandbox removed", () => !env.pod("graceful"), 15_000);
    expect(gone).toBe(true);
    const { items } = await cri.runtime.listPodSandbox({
      filter: { labelSelector: { "io.kubernetes.pod.name": "graceful-testnode" } },
    });
    expect(items).toHaveLength(0);
    expect(existsSync(join(marker, "prestop-ran"))).toBe(true);
  }, 60_000);

  it("adopts every pod with zero restarts after kill -9 of the daemon", async () => {
    cpSync(join(examples, "init.yaml"), join(env.manifests, "init.yaml"));
    await env.waitFor(
      "with-init running",
      () => env.pod("with-init")?.status?.conditions?.find((c) => c.type === "Ready")?.status === "True",
      45_000,
    );
    const cri = createCriClient({ socketPath: env.ctd.socketPath });
    const before = await cri.runtime.listContainers({});
    const sandboxesBefore = await cri.runtime.listPodSandbox({});
    await env.stopDaemon("SIGKILL");
    await env.startDaemon(["--token-auth-file", join(env.dir, "tokens.csv")]);
    // Status is rebuilt from the runtime: both pods ready again.
    await env.waitFor("pods ready after restart", () => {
      const ready = ["web", "with-init"].every(
        (n) => env.pod(n)?.status?.conditions?.find((c) => c.type === "Ready")?.status === "True",
      );
      return ready && env.status().pods.length === 2;
    });
    const after = await cri.runtime.listContainers({});
    const sandboxesAfter = await cri.runtime.listPodSandbox({});
    expect(after.containers.map((c) => c.id).sort()).toEqual(before.containers.map((c) => c.id).sort());
    expect(sandboxesAfter.items.map((s) => s.id).sort()).toEqual(
      sandboxesBefore.items.map((s) => s.id).sort(),
    );
    for (const n of ["web", "with-init"]) {
      for (const c of env.pod(n)?.status?.containerStatuses ?? []) expect(c.restartCount).toBe(0);
    }
  }, 120_000);

  it("loses no pod when containerd restarts", async () => {
    const cri = createCriClient({ socketPath: env.ctd.socketPath });
    const before = (await cri.runtime.listContainers({})).containers
      .filter((c) => c.state === 1)
      .map((c) => c.id)
      .sort();
    await env.ctd.stopDaemon();
    await new Promise((r) => setTimeout(r, 1500));
    await env.ctd.restartDaemon();
    const after = (await cri.runtime.listContainers({})).containers
      .filter((c) => c.state === 1)
      .map((c) => c.id)
      .sort();
    expect(after).toEqual(before);
    // The daemon reconnects: a new pod starts, the old ones stay as they were.
    writeFileSync(
      join(env.manifests, "after-restart.yaml"),
      `apiVersion: v1\nkind: Pod\nmetadata: { name: after-restart }\nspec:\n  containers:\n    - { name: app, image: ${localImages.busybox}, command: ["sleep", "3600"] }\n`,
    );
    await env.waitFor(
      "new pod after containerd restart",
      () => env.pod("after-restart")?.status?.phase === "Running",
      45_000,
    );
    for (const n of ["web", "with-init"]) {
      expect(env.pod(n)?.status?.phase).toBe("Running");
      for (const c of env.pod(n)?.status?.containerStatuses ?? []) expect(c.restartCount).toBe(0);
    }
    rmSync(join(env.manifests, "after-restart.yaml"));
  }, 120_000);

  describe.skipIf(!which("docker-registry"))("images from a registry on loopback", () => {
    let registry: ChildProcess | undefined;
    afterAll(async () => {
      if (registry?.exitCode === null) {
        const exited = new Promise((r) => registry!.once("exit", r));
        registry.kill("SIGTERM");
        await exited;
      }
    });

    it("pulls an image from the registry, and a missing one ends in ErrImagePull/ImagePullBackOff", async () => {
      const regDir = join(env.dir, "registry");
      mkdirSync(regDir);
      writeFileSync(
        join(regDir, "config.yml"),
        `version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: ${regDir}/data\nhttp:\n  addr: 127.0.0.1:5000\n`,
      );
      registry = spawn(
        "nsenter",
        [`--net=/var/run/netns/${env.ctd.netns}`, "docker-registry", "serve", join(regDir, "config.yml")],
        {
          stdio: "ignore",
        },
      );
      await env.waitFor("registry up", () => {
        try {
          return env.inNetns(["wget", "-qO-", "http://127.0.0.1:5000/v2/"], 2000) !== undefined;
        } catch {
          return false;
        }
      });
      const ctr = (...args: string[]) =>
        env.inNetns(["ctr", "-a", env.ctd.socketPath, "-n", "k8s.io", ...args], 60_000);
      ctr("images", "tag", localImages.busybox, "127.0.0.1:5000/kite/busybox:pulled");
      ctr("images", "push", "--plain-http", "127.0.0.1:5000/kite/busybox:pulled");
      ctr("images", "rm", "127.0.0.1:5000/kite/busybox:pulled");
      writeFileSync(
        join(env.manifests, "pulled.yaml"),
        `apiVersion: v1\nkind: Pod\nmetadata: { name: pulled }\nspec:\n  containers:\n    - { name: app, image: "127.0.0.1:5000/kite/busybox:pulled", imagePullPolicy: Always, command: ["sleep", "3600"] }\n`,
      );
      writeFileSync(
        join(env.manifests, "missing.yaml"),
        `apiVersion: v1\nkind: Pod\nmetadata: { name: missing }\nspec:\n  containers:\n    - { name: app, image: "127.0.0.1:5000/kite/nothing:here", command: ["sleep", "3600"] }\n`,
      );
      await env.waitFor("pulled pod running", () => env.pod("pulled")?.status?.phase === "Running", 60_000);
      const reasons = new Set<string>();
      await env.waitFor(
        "ImagePullBackOff",
        () => {
          const r = container(env.pod("missing"), "app")?.state?.waiting?.reason;
          if (r) reasons.add(r);
          return r === "ImagePullBackOff";
        },
        45_000,
      );
      expect(reasons.has("ErrImagePull") || reasons.has("ImagePullBackOff")).toBe(true);
      expect(env.pod("missing")?.status?.phase).toBe("Pending");
      rmSync(join(env.manifests, "pulled.yaml"));
      rmSync(join(env.manifests, "missing.yaml"));
    }, 150_000);
  });
});
