/** The proxy's sync loop with a fake command runner (no root needed): what it runs, and what it serves. */
import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { silentLogger } from "../log/logger.ts";
import type { ExecResult, Runner } from "./exec.ts";
import { parseProxyOptions } from "./proxy-options.ts";
import { startProxyServer } from "./proxy-server.ts";
import type { ObjectSource, SourceEvent, SourceHandlers } from "./sources/source.ts";

function fakeRunner(fail: (argv: string[]) => ExecResult | undefined = () => undefined) {
  const calls: { argv: string[]; stdin?: string }[] = [];
  const runner: Runner = {
    netns: undefined,
    async run(argv, stdin) {
      calls.push({ argv, ...(stdin !== undefined ? { stdin } : {}) });
      return (
        fail(argv) ?? {
          code: 0,
          stdout: argv[0] === "iptables" && argv[1] === "--version" ? "iptables v1.8.9" : "",
          stderr: "",
        }
      );
    },
  };
  return { runner, calls };
}

function memorySource(initial: SourceEvent[]): ObjectSource & { push(e: SourceEvent[]): void } {
  let h: SourceHandlers | undefined;
  return {
    description: "memory",
    async start(handlers) {
      h = handlers;
      handlers.events(initial);
    },
    async stop() {},
    push(e) {
      h?.events(e);
    },
  };
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const options = (extra: string[] = []) =>
  parseProxyOptions(
    [
      "--hostname-override",
      "node-a",
      "--bind-address",
      "192.168.0.2",
      "--healthz-bind-address",
      "127.0.0.1:0",
      "--metrics-bind-address",
      "",
      "--min-sync-period",
      "0s",
      ...extra,
    ],
    "h",
  ).options;

describe("proxy server (fake kernel)", () => {
  it("syncs through iptables-restore, serves health-check node ports, and skips unusable objects", async () => {
    const hcPort = await freePort();
    const svc = {
      kind: "Service",
      metadata: { name: "lb", namespace: "ns" },
      spec: {
        type: "LoadBalancer",
        clusterIP: "10.96.0.5",
        externalTrafficPolicy: "Local",
        healthCheckNodePort: hcPort,
        ports: [{ name: "http", port: 80, nodePort: 30500, protocol: "TCP" }],
      },
    };
    const eps = {
      kind: "EndpointSlice",
      metadata: { name: "lb-1", namespace: "ns", labels: { "kubernetes.io/service-name": "lb" } },
      addressType: "IPv4",
      ports: [{ name: "http", port: 8080, protocol: "TCP" }],
      endpoints: [
        { addresses: ["10.244.0.5"], nodeName: "node-a", conditions: { ready: true } },
        { addresses: ["10.244.1.5"], nodeName: "node-b", conditions: { ready: true } },
      ],
    };
    const { runner, calls } = fakeRunner();
    const source = memorySource([
      { kind: "Service", op: "add", object: svc as never },
      { kind: "EndpointSlice", op: "add", object: eps as never },
    ]);
    const server = await startProxyServer({
      options: options(),
      source,
      logger: silentLogger,
      runner,
      healthCheckHost: "127.0.0.1",
    });
    try {
      await server.settle();
      const restore = calls.find((c) => c.argv[0] === "iptables-restore");
      expect(restore?.argv).toEqual(["iptables-restore", "-w", "5", "--noflush", "--counters"]);
      expect(restore?.stdin).toContain("ns/lb:http cluster IP");
      // base rules are ensured before the first restore
      expect(calls.findIndex((c) => c.argv.includes("-C"))).toBeLessThan(calls.indexOf(restore!));
      const hc = await fetch(`http://127.0.0.1:${hcPort}/`);
      expect(hc.status).toBe(200);
      expect(hc.headers.get("X-Load-Balancing-Endpoint-Weight")).toBe("1");
      expect(await hc.json()).toEqual({
        service: { namespace: "ns", name: "lb" },
        localEndpoints: 1,
        serviceProxyHealthy: true,
      });
      const health = await fetch(`http://127.0.0.1:${server.healthzPort}/healthz`);
      expect(health.status).toBe(200);

      // the local endpoint goes away: the health check now drains this node
      source.push([
        { kind: "EndpointSlice", op: "update", object: { ...eps, endpoints: [eps.endpoints[1]] } as never },
      ]);
      await server.settle();
      expect((await fetch(`http://127.0.0.1:${hcPort}/`)).status).toBe(503);

      // an object the core cannot use is logged and skipped; syncing goes on
      source.push([
        { kind: "Service", op: "add", object: { kind: "Service", metadata: {}, spec: {} } as never },
      ]);
      await server.settle();
      expect(server.history.every((h) => h.ok)).toBe(true);
    } finally {
      await server.stop();
    }
    await expect(fetch(`http://127.0.0.1:${hcPort}/`)).rejects.toThrow();
  });

  it("counts a failed restore and makes the next sync full", async () => {
    let failNext = false;
    const { runner } = fakeRunner((argv) => {
      if (argv[0] === "iptables-restore" && failNext) {
        failNext = false;
        return { code: 1, stdout: "", stderr: "iptables-restore: line 2 failed\n" };
      }
      return undefined;
    });
    const svc = (port: number) => ({
      kind: "Service",
      metadata: { name: "a", namespace: "ns" },
      spec: { clusterIP: "10.96.0.6", ports: [{ port, protocol: "TCP" }] },
    });
    const source = memorySource([{ kind: "Service", op: "add", object: svc(80) as never }]);
    const server = await startProxyServer({ options: options(), source, logger: silentLogger, runner });
    try {
      await server.settle();
      failNext = true;
      source.push([{ kind: "Service", op: "update", object: svc(81) as never }]);
      await server.settle();
      const failed = server.history.find((h) => !h.ok);
      expect(failed?.result.full).toBe(false);
      expect(failed?.error).toMatch(/line 2 failed \(input line 2: /);
      expect(server.metrics.restoreFailures.get()).toBe(1);
      expect(server.metrics.partialRestoreFailures.get()).toBe(1);
      const next = await server.syncNow();
      const afterFailure = server.history[server.history.indexOf(failed!) + 1]!;
      expect(afterFailure.result).toMatchObject({ full: true, fullReason: "restore-failed" });
      expect(next.ok).toBe(true);
    } finally {
      await server.stop();
    }
  });

  it("ipvs: drains a removed real server by the kernel's connection counts, then deletes it", async () => {
    let kernelList = "";
    const { runner, calls } = fakeRunner((argv) =>
      argv[0] === "ipvsadm" && argv[1] === "-L" && argv[2] === "-n"
        ? { code: 0, stdout: kernelList, stderr: "" }
        : undefined,
    );
    const svc = {
      kind: "Service",
      metadata: { name: "web", namespace: "ns" },
      spec: {
        type: "ClusterIP",
        clusterIP: "10.96.0.7",
        ports: [{ name: "http", port: 80, protocol: "TCP" }],
      },
    };
    const ep = (ip: string) => ({ addresses: [ip], nodeName: "node-a", conditions: { ready: true } });
    const slice = (ips: string[]) => ({
      kind: "EndpointSlice",
      metadata: { name: "web-1", namespace: "ns", labels: { "kubernetes.io/service-name": "web" } },
      addressType: "IPv4",
      ports: [{ name: "http", port: 8080, protocol: "TCP" }],
      endpoints: ips.map(ep),
    });
    const list = (rs: string) =>
      `IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\nTCP  10.96.0.7:80 rr\n${rs}`;
    const source = memorySource([
      { kind: "Service", op: "add", object: svc as never },
      { kind: "EndpointSlice", op: "add", object: slice(["10.244.0.5", "10.244.0.6"]) as never },
    ]);
    const server = await startProxyServer({
      options: options(["--proxy-mode", "ipvs"]),
      source,
      logger: silentLogger,
      runner,
    });
    const ipvsadm = () =>
      calls.filter((c) => c.argv[0] === "ipvsadm" && c.argv[1] !== "-L" && c.argv[1] !== "-Ln");
    try {
      expect(server.mode).toBe("ipvs");
      await server.settle();
      expect(ipvsadm().map((c) => c.argv.join(" "))).toContain(
        "ipvsadm -a -t 10.96.0.7:80 -r 10.244.0.6:8080 -m -w 1",
      );
      // .6 goes away while the kernel still counts 4 connections to it: weight 0.
      kernelList = list("  -> 10.244.0.5:8080 Masq 1 0 0\n  -> 10.244.0.6:8080 Masq 1 3 1\n");
      calls.length = 0;
      source.push([{ kind: "EndpointSlice", op: "update", object: slice(["10.244.0.5"]) as never }]);
      await server.settle();
      expect(calls.some((c) => c.argv.join(" ") === "ipvsadm -L -n")).toBe(true);
      expect(ipvsadm().map((c) => c.argv.join(" "))).toEqual([
        "ipvsadm -e -t 10.96.0.7:80 -r 10.244.0.6:8080 -m -w 0",
      ]);
      // The connections are gone: the next sync deletes it.
      kernelList = list("  -> 10.244.0.5:8080 Masq 1 0 0\n  -> 10.244.0.6:8080 Masq 0 0 0\n");
      calls.length = 0;
      await server.syncNow();
      expect(ipvsadm().map((c) => c.argv.join(" "))).toEqual([
        "ipvsadm -d -t 10.96.0.7:80 -r 10.244.0.6:8080",
      ]);
    } finally {
      await server.stop();
    }
  });

  it("falls back from ipvs to iptables when the kernel has no IPVS", async () => {
    const { runner } = fakeRunner((argv) =>
      argv[0] === "ipvsadm" && argv[1] === "-Ln"
        ? { code: 2, stdout: "", stderr: "Can't initialize ipvs: Protocol not available\n" }
        : undefined,
    );
    const lines: string[] = [];
    const logger = {
      ...silentLogger,
      warn: (m: string, v?: Record<string, unknown>) => lines.push(`${m} ${JSON.stringify(v)}`),
    };
    logger.with = () => logger;
    const server = await startProxyServer({
      options: options(["--proxy-mode", "ipvs"]),
      source: memorySource([]),
      logger,
      runner,
    });
    try {
      expect(server.mode).toBe("iptables");
      expect(lines.join("\n")).toMatch(/falling back to the iptables proxier.*Protocol not available/);
    } finally {
      await server.stop();
    }
  });
});
