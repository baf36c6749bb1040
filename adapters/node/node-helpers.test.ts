import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Pod } from "../../core/api/mod.ts";
import { createAuthenticator, readTokenFile } from "./authn.ts";
import { parseCriLogLine, readContainerLog } from "./container-logs.ts";
import { milliCpuToQuota, milliCpuToShares, podCgroupParent } from "./container-resources.ts";
import { parseResolvConf, podDnsConfig } from "./dns.ts";
import { pullPolicy } from "./runtime-manager.ts";
import { renderPodTable } from "./up.ts";

const dir = mkdtempSync(join(tmpdir(), "kite-node-"));

describe("node adapter helpers", () => {
  it("converts CPU requests and limits as the kubelet does", () => {
    expect(milliCpuToShares(0)).toBe(2);
    expect(milliCpuToShares(1)).toBe(2);
    expect(milliCpuToShares(250)).toBe(256);
    expect(milliCpuToShares(1000)).toBe(1024);
    expect(milliCpuToQuota(0)).toBe(0);
    expect(milliCpuToQuota(5)).toBe(1000);
    expect(milliCpuToQuota(200)).toBe(20000);
  });

  it("puts pods under the QoS cgroup parents", () => {
    const pod = (resources: object): Pod => ({
      metadata: { name: "p", uid: "u" },
      spec: { containers: [{ name: "c", resources }] },
    });
    expect(podCgroupParent(pod({}), "/")).toBe("/kubepods/besteffort/podu");
    expect(podCgroupParent(pod({ requests: { cpu: "1" } }), "/kite")).toBe("/kite/kubepods/burstable/podu");
    const g = { limits: { cpu: "1", memory: "1Gi" }, requests: { cpu: "1", memory: "1Gi" } };
    expect(podCgroupParent(pod(g), "/")).toBe("/kubepods/podu");
  });

  it("defaults imagePullPolicy like the API server", () => {
    expect(pullPolicy({ name: "c", image: "busybox" })).toBe("Always");
    expect(pullPolicy({ name: "c", image: "busybox:latest" })).toBe("Always");
    expect(pullPolicy({ name: "c", image: "127.0.0.1:5000/busybox" })).toBe("Always");
    expect(pullPolicy({ name: "c", image: "127.0.0.1:5000/busybox:1" })).toBe("IfNotPresent");
    expect(pullPolicy({ name: "c", image: "busybox:1.36" })).toBe("IfNotPresent");
    expect(pullPolicy({ name: "c", image: "busybox:1", imagePullPolicy: "Never" })).toBe("Never");
  });

  it("reads CRI log files (partial lines joined, tail, timestamps)", () => {
    expect(parseCriLogLine("2024-01-01T00:00:00.000000001Z stdout F hello world")).toEqual({
      time: "2024-01-01T00:00:00.000000001Z",
      stream: "stdout",
      partial: false,
      message: "hello world",
    });
    const f = join(dir, "0.log");
    writeFileSync(
      f,
      [
        "2024-01-01T00:00:01Z stdout F one",
        "2024-01-01T00:00:02Z stderr P tw",
        "2024-01-01T00:00:02Z stderr F o",
        "2024-01-01T00:00:03Z stdout F three",
        "",
      ].join("\n"),
    );
    expect(readContainerLog(f, {})).toBe("one\ntwo\nthree\n");
    expect(readContainerLog(f, { tailLines: 2 })).toBe("two\nthree\n");
    expect(readContainerLog(f, { tailLines: 1, timestamps: true })).toBe("2024-01-01T00:00:03Z three\n");
    expect(readContainerLog(f, { limitBytes: 5 })).toBe("one\nt");
  });

  it("authenticates bearer tokens from the token file and refuses anonymous requests", () => {
    const file = join(dir, "tokens.csv");
    writeFileSync(file, `# comment\nabc,alice,1,"ops,dev"\nxyz,bob\n`);
    const tokens = readTokenFile(file);
    expect(tokens.get("abc")).toEqual({ name: "alice", uid: "1", groups: ["ops", "dev"] });
    const auth = createAuthenticator({ tokens, clientCa: false, anonymous: false });
    expect(auth.authenticate(new Headers({ authorization: "Bearer xyz" }), undefined)?.name).toBe("bob");
    expect(auth.authenticate(new Headers({ authorization: "Bearer nope" }), undefined)).toBeUndefined();
    expect(auth.authenticate(new Headers(), undefined)).toBeUndefined();
    const anon = createAuthenticator({ clientCa: false, anonymous: true });
    expect(anon.authenticate(new Headers(), undefined)?.name).toBe("system:anonymous");
  });

  it("builds the sandbox DNS config", () => {
    expect(parseResolvConf("nameserver 1.1.1.1\nsearch a b # x\noptions ndots:2\n")).toEqual({
      servers: ["1.1.1.1"],
      searches: ["a", "b"],
      options: ["ndots:2"],
    });
    const pod: Pod = { metadata: { name: "p", namespace: "ns" }, spec: { containers: [] } };
    expect(
      podDnsConfig(pod, { clusterDns: ["10.96.0.10"], clusterDomain: "cluster.local", resolvConf: "/none" }),
    ).toEqual({
      servers: ["10.96.0.10"],
      searches: ["ns.svc.cluster.local", "svc.cluster.local", "cluster.local"],
      options: ["ndots:5"],
    });
  });

  it("renders the kite up table like kubectl get pods", () => {
    const pods: Pod[] = [
      {
        metadata: { name: "crash-n" },
        spec: { containers: [{ name: "c" }] },
        status: {
          phase: "Running",
          podIP: "10.88.0.4",
          containerStatuses: [
            {
              name: "c",
              ready: false,
              restartCount: 3,
              image: "",
              imageID: "",
              state: { waiting: { reason: "CrashLoopBackOff" } },
            },
          ],
        },
      },
    ];
    const out = renderPodTable(
      pods,
      [{ origin: "/m/bad.yaml", field: "spec.containers[0].image", message: "is required" }],
      0,
    );
    expect(out.split("\n")[0]).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP$/);
    expect(out).toMatch(/crash-n\s+0\/1\s+CrashLoopBackOff\s+3\s+-\s+10\.88\.0\.4/);
    expect(out).toContain("! /m/bad.yaml: spec.containers[0].image: is required");
  });
});
