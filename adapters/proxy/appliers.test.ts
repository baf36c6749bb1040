import { connect } from "node:net";
import { describe, expect, it } from "vitest";
import { serveApp } from "../http/serve.ts";
import { ApplyError } from "./apply-error.ts";
import { conntrackCommands } from "./conntrack.ts";
import { createHealthState, healthApp, nodeEligible } from "./health-server.ts";
import { splitCommand } from "./ipvs-applier.ts";
import { createProxyMetrics } from "./proxy-metrics.ts";

describe("apply errors", () => {
  it("quote the tool's message and the rejected input line", () => {
    const e = new ApplyError(
      "iptables-restore",
      "iptables-restore: line 3 failed\n",
      "*nat\n:KUBE-SERVICES - [0:0]\n-A KUBE-NOPE -j X\nCOMMIT\n",
    );
    expect(e.line).toBe(3);
    expect(e.message).toContain("input line 3: -A KUBE-NOPE -j X");
    const n = new ApplyError("nft -f", "/dev/stdin:2:5-9: Error: No such file or directory\n", "a\nb c d\n");
    expect(n.line).toBe(2);
  });
});

describe("conntrack cleanup commands", () => {
  it("delete UDP entries to a service IP, to a removed endpoint, and to a NodePort", () => {
    expect(
      conntrackCommands({
        required: true,
        serviceIPs: [{ ip: "10.96.0.10", protocol: "UDP" }],
        staleEndpoints: [
          { serviceIP: "10.96.0.10", port: 53, endpointIP: "10.244.0.5", protocol: "UDP" },
          { serviceIP: "", port: 30053, endpointIP: "10.244.0.5", protocol: "UDP" },
        ],
        staleNodePorts: [{ port: 30053, protocol: "UDP" }],
      }),
    ).toEqual([
      ["conntrack", "-D", "-p", "udp", "--orig-dst", "10.96.0.10"],
      [
        "conntrack",
        "-D",
        "-p",
        "udp",
        "--orig-dst",
        "10.96.0.10",
        "--orig-port-dst",
        "53",
        "--dst-nat",
        "10.244.0.5",
      ],
      ["conntrack", "-D", "-p", "udp", "--orig-port-dst", "30053", "--dst-nat", "10.244.0.5"],
      ["conntrack", "-D", "-p", "udp", "--orig-port-dst", "30053"],
    ]);
  });
});

describe("ipvs command lines", () => {
  it("split without a shell", () => {
    expect(splitCommand('ipvsadm -A -t 10.0.0.1:80 -s rr  # "x y"')).toEqual([
      "ipvsadm",
      "-A",
      "-t",
      "10.0.0.1:80",
      "-s",
      "rr",
      "#",
      "x y",
    ]);
  });
});

describe("healthz", () => {
  it("answers like upstream: 200 while in sync, 503 when an update is overdue or the node is going away", async () => {
    const state = createHealthState(60_000);
    const metrics = createProxyMetrics();
    let now = Date.UTC(2026, 0, 1, 0, 0, 0);
    const app = healthApp(state, metrics, () => now);
    let r = await app.request("/healthz");
    expect(r.status).toBe(200);
    expect(await r.text()).toBe(
      '{"lastUpdated": "2026-01-01 00:00:00 +0000 UTC","currentTime": "2026-01-01 00:00:00 +0000 UTC", "nodeEligible": true}',
    );
    state.updated(now);
    state.queuedUpdate(now + 1000);
    now += 30_000;
    expect((await app.request("/healthz")).status).toBe(200);
    now += 40_000;
    r = await app.request("/healthz");
    expect(r.status).toBe(503);
    expect((await r.json()).lastUpdated).toBe("2026-01-01 00:00:00 +0000 UTC");
    expect((await app.request("/livez")).status).toBe(503);
    state.updated(now);
    state.setNodeEligible(
      nodeEligible({ metadata: {}, spec: { taints: [{ key: "ToBeDeletedByClusterAutoscaler" }] } }),
    );
    expect((await app.request("/healthz")).status).toBe(503);
    expect((await app.request("/livez")).status).toBe(200);
    expect(metrics.healthzTotal.get({ code: "503" })).toBe(2);
  });
});

describe("health server on a real socket", () => {
  it("sends each body with its own Content-Length (the length changes with the milliseconds)", async () => {
    const times = [Date.UTC(2026, 10, 24, 21, 52, 27, 418), Date.UTC(2026, 10, 24, 21, 52, 33, 420)];
    let i = 0;
    const app = healthApp(createHealthState(60_000), createProxyMetrics(), () => times[i++ % 2]!);
    const server = await serveApp(app as never, { host: "127.0.0.1", port: 0 });
    try {
      for (let k = 0; k < 4; k++) {
        const raw = await rawGet(server.port, "/healthz");
        const [head, body] = raw.split("\r\n\r\n") as [string, string];
        expect(Number(/content-length: (\d+)/i.exec(head)?.[1])).toBe(Buffer.byteLength(body));
        expect(JSON.parse(body)).toMatchObject({ nodeEligible: true });
      }
    } finally {
      await server.close();
    }
  });
});

function rawGet(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = connect(port, "127.0.0.1", () =>
      c.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`),
    );
    let data = "";
    c.on("data", (b: Buffer) => {
      data += b.toString();
    });
    c.on("close", () => resolve(data));
    c.on("error", reject);
  });
}
