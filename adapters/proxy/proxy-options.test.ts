import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { goTimeString } from "./health-server.ts";
import { runProxyCli } from "./proxy-cli.ts";
import { parseProxyOptions } from "./proxy-options.ts";

describe("proxy options", () => {
  it("has upstream defaults", () => {
    const { options } = parseProxyOptions([], "Node-A");
    expect(options).toMatchObject({
      mode: "iptables",
      hostname: "node-a",
      minSyncPeriodMs: 1000,
      syncPeriodMs: 30_000,
      healthz: { host: "0.0.0.0", port: 10256 },
      metrics: { host: "127.0.0.1", port: 10249 },
      nodePortAddresses: null,
      masqueradeBit: 14,
      ipvsScheduler: "rr",
    });
  });

  it("reads a KubeProxyConfiguration and lets flags override it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "kite-kpc-"));
    try {
      const path = join(dir, "c.yaml");
      await writeFile(
        path,
        [
          "apiVersion: kubeproxy.config.k8s.io/v1alpha1",
          "kind: KubeProxyConfiguration",
          "mode: nftables",
          "clusterCIDR: 10.244.0.0/16",
          "hostnameOverride: from-file",
          "clientConnection: { kubeconfig: /etc/kubernetes/proxy.conf }",
          "nodePortAddresses: [192.168.0.0/16]",
          "nftables: { masqueradeAll: true, minSyncPeriod: 2s, syncPeriod: 1m0s }",
        ].join("\n"),
      );
      const { options } = parseProxyOptions(
        ["--config", path, "--hostname-override=flag", "--min-sync-period=500ms"],
        "h",
      );
      expect(options).toMatchObject({
        mode: "nftables",
        clusterCIDR: "10.244.0.0/16",
        hostname: "flag",
        nodePortAddresses: ["192.168.0.0/16"],
        masqueradeAll: true,
        minSyncPeriodMs: 500,
        syncPeriodMs: 60_000,
        kubeconfig: "/etc/kubernetes/proxy.conf",
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("takes the API server's kubeconfig from --kubeconfig over the config file", () => {
    expect(parseProxyOptions(["--kubeconfig", "/root/kc"], "h").options.kubeconfig).toBe("/root/kc");
    expect(parseProxyOptions([], "h").options.kubeconfig).toBeUndefined();
  });

  it("refuses to start with no object source, naming --kubeconfig", async () => {
    const saved = process.env.KUBERNETES_SERVICE_HOST;
    delete process.env.KUBERNETES_SERVICE_HOST;
    try {
      await expect(runProxyCli(["--healthz-bind-address", "", "--metrics-bind-address", ""])).rejects.toThrow(
        /--kubeconfig: no object source/,
      );
    } finally {
      if (saved !== undefined) process.env.KUBERNETES_SERVICE_HOST = saved;
    }
  });

  it("names the bad flag", () => {
    expect(() => parseProxyOptions(["--proxy-mode", "userspace"], "h")).toThrow(/--proxy-mode.*userspace/);
    expect(() => parseProxyOptions(["--sync-period", "soon"], "h")).toThrow(/--sync-period/);
    expect(() => parseProxyOptions(["--min-sync-period", "1m", "--sync-period", "30s"], "h")).toThrow(
      /--min-sync-period/,
    );
    expect(() => parseProxyOptions(["--healthz-bind-address", "nope"], "h")).toThrow(
      /--healthz-bind-address/,
    );
    expect(() => parseProxyOptions(["--bogus"], "h")).toThrow(/bogus/);
  });

  it("takes periods as Go durations, never negative", () => {
    expect(
      parseProxyOptions(["--sync-period", "1.5h", "--min-sync-period", "250ms"], "h").options,
    ).toMatchObject({
      syncPeriodMs: 5_400_000,
      minSyncPeriodMs: 250,
    });
    expect(() => parseProxyOptions(["--min-sync-period=-1s"], "h")).toThrow(/--min-sync-period.*negative/);
    fc.assert(
      fc.property(fc.string(), (s) => {
        try {
          expect(parseProxyOptions([`--sync-period=${s}`], "h").options.syncPeriodMs).toBeGreaterThanOrEqual(
            0,
          );
        } catch (e) {
          expect(String(e)).toMatch(/--sync-period/);
        }
      }),
    );
  });

  it("prints times the way Go does", () => {
    expect(goTimeString(Date.UTC(2026, 10, 24, 17, 55, 51, 120))).toBe("2026-11-24 17:55:51.12 +0000 UTC");
    expect(goTimeString(Date.UTC(2026, 10, 24, 17, 55, 51))).toBe("2026-11-24 17:55:51 +0000 UTC");
  });
});
