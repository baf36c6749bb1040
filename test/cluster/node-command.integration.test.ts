/**
 * `kite node --kubeconfig …` as a child process (the real CLI command) against the in-test API server: the
 * command joins the cluster (Node object + Lease in kube-node-lease), and SIGTERM stops it cleanly. The node
 * agent needs a container runtime, so this uses the private containerd of test/node/node-env.ts (root +
 * containerd; skips with the reason otherwise).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Node } from "../../core/api/mod.ts";
import { type FakeApiServer, startFakeApiServer } from "../apiserver/fake-apiserver.ts";
import { kubeConfigYaml } from "../apiserver/kubeconfig.ts";
import { type NodeEnv, skipReason, startNodeEnv } from "../node/node-env.ts";

const reason = skipReason();
if (reason) console.info(`test/cluster/node-command.integration.test.ts skipped: ${reason}`);

const repo = resolve(import.meta.dirname, "../..");

describe.skipIf(!!reason)("kite node --kubeconfig (the CLI command)", () => {
  let env: NodeEnv;
  let api: FakeApiServer;
  let child: ChildProcess | undefined;
  const nodeName = "kite-cmd";
  const logFile = () => join(env.dir, "cmd.log");
  const log = () => (existsSync(logFile()) ? readFileSync(logFile(), "utf8") : "");

  async function waitFor<T>(what: string, fn: () => T | undefined | false, timeoutMs = 60_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (child && child.exitCode !== null) throw new Error(`kite node exited ${child.exitCode}:\n${log()}`);
      const v = fn();
      if (v !== undefined && v !== false) return v as T;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`timed out waiting for ${what}\n${log().split("\n").slice(-30).join("\n")}`);
  }

  beforeAll(async () => {
    env = await startNodeEnv();
    api = await startFakeApiServer();
    const kubeconfig = join(env.dir, "kubelet.conf");
    writeFileSync(kubeconfig, kubeConfigYaml({ server: api.url }));
    const out = openSync(logFile(), "a");
    child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        join(repo, "adapters/cli/main.ts"),
        "node",
        "--kubeconfig",
        kubeconfig,
        "--hostname-override",
        nodeName,
        "--node-labels",
        "node-role.kubernetes.io/kite=",
        "--register-with-taints",
        "kite.io/agent=true:NoSchedule",
        "--authorization-mode",
        "AlwaysAllow",
        "--container-runtime-endpoint",
        env.ctd.endpoint,
        "--root-dir",
        join(env.dir, "kubelet"),
        "--pod-logs-dir",
        join(env.dir, "logs"),
        "--cgroup-root",
        env.cgroupRoot,
        "--port",
        "0",
        "--healthz-port",
        "0",
      ],
      { cwd: repo, stdio: ["ignore", out, out] },
    );
  }, 180_000);

  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child?.once("exit", r));
      child.kill("SIGKILL");
      await exited;
    }
    await api?.stop();
    await env?.destroy();
  }, 120_000);

  it("registers its Node (labels, taints) and keeps a Lease", async () => {
    const node = await waitFor(
      "Ready node",
      () => {
        const n = api.get("nodes", nodeName) as unknown as Node | undefined;
        return n?.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ? n : undefined;
      },
      120_000,
    );
    expect(node.metadata.labels).toMatchObject({
      "kubernetes.io/hostname": nodeName,
      "node-role.kubernetes.io/kite": "",
    });
    expect(node.spec?.taints).toContainEqual({ key: "kite.io/agent", value: "true", effect: "NoSchedule" });
    const lease = await waitFor("lease", () =>
      api.get("leases", nodeName, "kube-node-lease", "coordination.k8s.io"),
    );
    expect((lease as { spec?: { holderIdentity?: string } }).spec?.holderIdentity).toBe(nodeName);
  }, 150_000);

  it("reports the runtime's images in status.images", async () => {
    const images = await waitFor("status.images", () => {
      const n = api.get("nodes", nodeName) as unknown as Node | undefined;
      return n?.status?.images?.length ? n.status.images : undefined;
    });
    expect(images.some((i) => i.names?.some((n) => n.includes("busybox")) && (i.sizeBytes ?? 0) > 0)).toBe(
      true,
    );
  }, 60_000);

  it("stops on SIGTERM with exit code 0", async () => {
    const c = child!;
    const exited = new Promise<number | null>((r) => c.once("exit", (code) => r(code)));
    c.kill("SIGTERM");
    expect(await exited).toBe(0);
  }, 60_000);
});
