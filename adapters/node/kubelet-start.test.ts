import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Pod } from "../../core/api/mod.ts";
import type { CriClient } from "../cri/mod.ts";
import { createLogger } from "../log/logger.ts";
import { MetricsRegistry } from "../metrics/registry.ts";
import { labelContainerName, labelPodUid } from "./cri-labels.ts";
import { Kubelet } from "./kubelet.ts";
import { parseManifestFile } from "./manifest-source.ts";
import { RuntimeManager } from "./runtime-manager.ts";

const running = 1;
const exited = 2;

/** An in-memory runtime that records every CRI call (method and, for lists, whether a label filter was used). */
function fakeRuntime() {
  const calls: string[] = [];
  const sandboxes: {
    id: string;
    state: number;
    labels: Record<string, string>;
    annotations: Record<string, string>;
    metadata: { attempt: number };
    createdAt: bigint;
  }[] = [];
  const containers: {
    id: string;
    podSandboxId: string;
    state: number;
    labels: Record<string, string>;
    annotations: Record<string, string>;
    metadata: { name: string; attempt: number };
    createdAt: bigint;
    imageRef: string;
    exitCode: number;
  }[] = [];
  let n = 0;
  const t = () => BigInt(Date.now()) * 1_000_000n + BigInt(n);
  const matches = (labels: Record<string, string>, sel?: Record<string, string>) =>
    Object.entries(sel ?? {}).every(([k, v]) => labels[k] === v);
  const status = (c: (typeof containers)[number]) => ({
    id: c.id,
    state: c.state,
    labels: c.labels,
    annotations: c.annotations,
    createdAt: c.createdAt,
    startedAt: c.createdAt,
    finishedAt: c.state === exited ? c.createdAt : 0n,
    exitCode: c.exitCode,
    imageRef: c.imageRef,
    image: { image: "kite.local/busybox:1" },
    reason: "",
    message: "",
  });
  const cri = {
    socketPath: "/fake",
    runtime: {
      listPodSandbox: async (r: { filter?: { labelSelector?: Record<string, string> } } = {}) => {
        calls.push(r.filter?.labelSelector ? "listPodSandbox(pod)" : "listPodSandbox");
        return { items: sandboxes.filter((s) => matches(s.labels, r.filter?.labelSelector)) };
      },
      listContainers: async (r: { filter?: { labelSelector?: Record<string, string> } } = {}) => {
        calls.push(r.filter?.labelSelector ? "listContainers(pod)" : "listContainers");
        return { containers: containers.filter((c) => matches(c.labels, r.filter?.labelSelector)) };
      },
      runPodSandbox: async (r: {
        config: {
          labels: Record<string, string>;
          annotations: Record<string, string>;
          metadata: { attempt: number };
        };
      }) => {
        calls.push("runPodSandbox");
        const id = `sb${++n}`;
        sandboxes.push({
          id,
          state: 0,
          labels: r.config.labels,
          annotations: r.config.annotations,
          metadata: { attempt: r.config.metadata.attempt },
          createdAt: t(),
        });
        return { podSandboxId: id };
      },
      podSandboxStatus: async () => {
        calls.push("podSandboxStatus");
        return { status: { network: { ip: "10.88.0.9" } } };
      },
      createContainer: async (r: {
        podSandboxId: string;
        config: {
          labels: Record<string, string>;
          annotations: Record<string, string>;
          metadata: { name: string; attempt: number };
        };
      }) => {
        calls.push(`createContainer(${r.config.metadata.name})`);
        const id = `c${++n}`;
        containers.push({
          id,
          podSandboxId: r.podSandboxId,
          state: 0,
          labels: r.config.labels,
          annotations: r.config.annotations,
          metadata: r.config.metadata,
          createdAt: t(),
          imageRef: "sha256:busybox",
          exitCode: 0,
        });
        return { containerId: id };
      },
      startContainer: async (r: { containerId: string }) => {
        calls.push("startContainer");
        const c = containers.find((x) => x.id === r.containerId)!;
        c.state = running;
        return {};
      },
      containerStatus: async (r: { containerId: string }) => {
        calls.push("containerStatus");
        const c = containers.find((x) => x.id === r.containerId);
        if (!c) throw Object.assign(new Error("not found"), { code: "not_found" });
        return { status: status(c) };
      },
    },
    image: {
      imageStatus: async () => {
        calls.push("imageStatus");
        return { image: { id: "sha256:busybox" } };
      },
    },
  } as unknown as CriClient;
  return { cri, calls, sandboxes, containers };
}

const dir = mkdtempSync(join(tmpdir(), "kite-kubelet-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function podFrom(yaml: string): Pod {
  const { pods, errors } = parseManifestFile(join(dir, "m.yaml"), yaml, "n1");
  expect(errors).toEqual([]);
  return pods[0]!;
}

function kubeletFor(f: ReturnType<typeof fakeRuntime>, pod: Pod): Kubelet {
  const log = createLogger({ level: "error", write: () => {} });
  const paths = { rootDir: join(dir, "root"), podLogsDir: join(dir, "logs") };
  return new Kubelet({
    nodeName: "n1",
    nodeIp: "192.0.2.1",
    cri: f.cri,
    runtime: new RuntimeManager({
      cri: f.cri,
      paths,
      cgroupRoot: "/kite-unit",
      memoryCapacity: 1 << 30,
      clusterDns: [],
      clusterDomain: "cluster.local",
      resolvConf: "/etc/resolv.conf",
      log,
    }),
    sources: [
      { name: "file", start: async (d) => d({ source: "file", pods: [pod], errors: [] }), stop() {} },
    ],
    sinks: [],
    log,
    metrics: new MetricsRegistry(),
    cgroupRoot: "/kite-unit",
    ...paths,
    relistPeriodMs: 60_000,
  });
}

async function until(what: string, fn: () => boolean): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (fn()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const hostNetworkPod = `apiVersion: v1
kind: Pod
metadata: { name: web }
spec:
  hostNetwork: true
  containers:
    - name: app
      image: kite.local/busybox:1
`;

describe("kubelet start path", () => {
  it("starts a new host-network pod with only the CRI calls the start needs", async () => {
    const f = fakeRuntime();
    const k = kubeletFor(f, podFrom(hostNetworkPod));
    await k.start();
    await until("container running", () => f.containers.some((c) => c.state === running));
    await until("status published", () => k.pods()[0]?.status?.phase === "Running");
    k.stop();
    // The initial relist, then: sandbox (with the image looked up meanwhile), container, its status. No list of a
    // pod the runtime never held, no PodSandboxStatus for a host-network sandbox, no list after the start.
    const afterRelist = f.calls.slice(2);
    expect(f.calls.slice(0, 2).sort()).toEqual(["listContainers", "listPodSandbox"]);
    expect([...afterRelist].sort()).toEqual(
      ["runPodSandbox", "imageStatus", "createContainer(app)", "startContainer", "containerStatus"].sort(),
    );
    expect(afterRelist.indexOf("runPodSandbox")).toBeLessThan(afterRelist.indexOf("createContainer(app)"));
    expect(k.pods()[0]?.status?.podIP).toBe("192.0.2.1");
    expect(k.pods()[0]?.status?.containerStatuses?.[0]?.state?.running).toBeDefined();
  });

  it("runs init containers one by one, before the containers, after the sandbox", async () => {
    const f = fakeRuntime();
    const k = kubeletFor(
      f,
      podFrom(`apiVersion: v1
kind: Pod
metadata: { name: init }
spec:
  initContainers:
    - { name: first, image: kite.local/busybox:1 }
    - { name: second, image: kite.local/busybox:1 }
  containers:
    - { name: app, image: kite.local/busybox:1 }
`),
    );
    await k.start();
    const created = () => f.calls.filter((c) => c.startsWith("createContainer"));
    for (const name of ["first", "second"]) {
      await until(`${name} started`, () => created().includes(`createContainer(${name})`));
      // Nothing else starts while this init container runs.
      await new Promise((r) => setTimeout(r, 150));
      expect(created().at(-1)).toBe(`createContainer(${name})`);
      const c = f.containers.find((x) => x.labels[labelContainerName] === name)!;
      c.state = exited;
      c.exitCode = 0;
      k.requestRelist();
    }
    await until("app started", () => created().includes("createContainer(app)"));
    k.stop();
    expect(created()).toEqual(["createContainer(first)", "createContainer(second)", "createContainer(app)"]);
    expect(f.calls.indexOf("runPodSandbox")).toBeLessThan(f.calls.indexOf("createContainer(first)"));
    // Not host-network: the sandbox's IP is read once.
    expect(f.calls.filter((c) => c === "podSandboxStatus")).toHaveLength(1);
  });

  it("adopts a pod the runtime already runs: no new sandbox, no new container", async () => {
    const f = fakeRuntime();
    const pod = podFrom(hostNetworkPod);
    const first = kubeletFor(f, pod);
    await first.start();
    await until("container running", () => f.containers.some((c) => c.state === running));
    first.stop();
    const second = kubeletFor(f, pod);
    await second.start();
    await until("status published", () => second.pods()[0]?.status?.phase === "Running");
    second.stop();
    expect(f.calls.filter((c) => c === "runPodSandbox")).toHaveLength(1);
    expect(f.calls.filter((c) => c.startsWith("createContainer"))).toHaveLength(1);
    expect(f.sandboxes.every((s) => s.labels[labelPodUid] === pod.metadata.uid)).toBe(true);
  });
});
