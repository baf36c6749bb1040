import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseNodeDuration, parseSignalMap, resolveNodeConfig } from "./node-config.ts";

const noWarn = () => {};

describe("kite node configuration", () => {
  it("has the kubelet's defaults", () => {
    const c = resolveNodeConfig({ "hostname-override": "N1" }, noWarn);
    expect(c.nodeName).toBe("n1");
    expect(c.runtimeSocket).toBe("/run/containerd/containerd.sock");
    expect(c.rootDir).toBe("/var/lib/kubelet");
    expect(c.podLogsDir).toBe("/var/log/pods");
    expect(c.port).toBe(10250);
    expect(c.readOnlyPort).toBe(0);
    expect(c.healthzPort).toBe(10248);
    expect(c.healthzBindAddress).toBe("127.0.0.1");
    expect(c.anonymousAuth).toBe(false);
    expect(c.fileCheckFrequencyMs).toBe(20_000);
    expect(c.evictionHard).toEqual({
      "memory.available": "100Mi",
      "nodefs.available": "10%",
      "nodefs.inodesFree": "5%",
      "imagefs.available": "15%",
    });
    expect([c.imageGcHighThresholdPercent, c.imageGcLowThresholdPercent]).toEqual([85, 80]);
  });

  it("reads a KubeletConfiguration file, warns about unknown fields, and lets flags win", () => {
    const dir = mkdtempSync(join(tmpdir(), "kite-cfg-"));
    const file = join(dir, "config.yaml");
    writeFileSync(
      file,
      `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
staticPodPath: /etc/kubernetes/manifests
fileCheckFrequency: 30s
evictionHard: { memory.available: 200Mi }
imageGCHighThresholdPercent: 90
authentication: { anonymous: { enabled: true }, x509: { clientCAFile: /ca.crt } }
featureGates: { Foo: true }
serializeImagePulls: false
`,
    );
    const warnings: string[] = [];
    const c = resolveNodeConfig({ config: file, "image-gc-high-threshold": "95" }, (_m, v) =>
      warnings.push(String(v.field)),
    );
    expect(c.staticPodPath).toBe("/etc/kubernetes/manifests");
    expect(c.fileCheckFrequencyMs).toBe(30_000);
    expect(c.evictionHard).toEqual({ "memory.available": "200Mi" });
    expect(c.imageGcHighThresholdPercent).toBe(95);
    expect(c.anonymousAuth).toBe(true);
    expect(c.clientCaFile).toBe("/ca.crt");
    expect(warnings.sort()).toEqual(["featureGates", "serializeImagePulls"]);
  });

  it("rejects bad values naming the flag or field", () => {
    expect(() =>
      resolveNodeConfig({ "image-gc-high-threshold": "70", "image-gc-low-threshold": "80" }, noWarn),
    ).toThrow(
      /imageGCLowThresholdPercent: LowThresholdPercent 80 can not be higher than HighThresholdPercent 70/,
    );
    expect(() => resolveNodeConfig({ "container-runtime-endpoint": "tcp://x:1" }, noWarn)).toThrow(
      /--container-runtime-endpoint/,
    );
    expect(() => resolveNodeConfig({ "eviction-hard": "memory.available" }, noWarn)).toThrow(
      /--eviction-hard/,
    );
    expect(() => resolveNodeConfig({ port: "99999" }, noWarn)).toThrow(/--port/);
    expect(() => resolveNodeConfig({ "file-check-frequency": "soon" }, noWarn)).toThrow(
      /--fileCheckFrequency/,
    );
  });

  it("parses signal maps and Go durations", () => {
    expect(parseSignalMap("memory.available<100Mi, nodefs.available<10%", "<", "f")).toEqual({
      "memory.available": "100Mi",
      "nodefs.available": "10%",
    });
    expect(parseNodeDuration("1m30s", "f")).toBe(90_000);
    expect(parseNodeDuration("500ms", "f")).toBe(500);
    expect(parseNodeDuration("0", "f")).toBe(0);
    expect(() => parseNodeDuration("10", "f")).toThrow();
    expect(() => parseNodeDuration("-5s", "--sync-frequency")).toThrow(
      /--sync-frequency.*must not be negative/,
    );
    expect(() => resolveNodeConfig({ "sync-frequency": "-1m" }, noWarn)).toThrow(/syncFrequency/);
  });
});
