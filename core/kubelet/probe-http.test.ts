import { loadFixture } from "../../test/fixtures.ts";
import { describe, expect, it } from "../../test/harness.ts";
import type { FixtureFileData } from "./fixture-pods.test-util.ts";
import {
  type HttpProbeRequest,
  type HttpTransport,
  parseDuration,
  type RawHttpResponse,
  resolveProbeAction,
  runHttpProbe,
} from "./mod.ts";

const fixture = await loadFixture<FixtureFileData>("kubelet/probe_http.json");

interface ServerSpec {
  status?: number;
  body?: string;
  echoHeaders?: boolean;
  echoHost?: boolean;
  sleepSeconds?: number;
  redirect?: number;
  targetStatus?: number;
  routes?: Record<string, string | number>;
  bodyBytes?: number;
  bodyChar?: string;
}
interface ProbeInput {
  followNonLocalRedirects: boolean;
  timeout?: string;
  requestHeaders?: Record<string, string[]>;
  server: ServerSpec;
  path?: string;
}

const mainServer = "127.0.0.1:18080";
const otherServer = "127.0.0.1:18081";

/**
 * An in-memory stand-in for the loopback servers of upstream's http_test.go, so the fixture runs under Deno
 * without network permission. It behaves like a Go HTTP server: it answers one request, never follows redirects.
 */
function fakeTransport(server: ServerSpec, log: HttpProbeRequest[]): HttpTransport {
  return async (req: HttpProbeRequest): Promise<RawHttpResponse> => {
    log.push(req);
    const url = new URL(req.url);
    if (url.host !== mainServer && url.host !== otherServer)
      throw new Error(`dial tcp ${url.host}: connect: connection refused`);
    const host = req.hostHeader ?? url.host;
    if (server.sleepSeconds !== undefined && server.sleepSeconds * 1000 >= req.timeoutMs)
      throw new Error("context deadline exceeded (Client.Timeout exceeded while awaiting headers)");
    if (server.echoHeaders) {
      const lines = [`Host: ${host}`, ...req.headers.map(([k, v]) => `${k}: ${v}`)];
      return { status: 200, body: lines.join("\n") };
    }
    if (server.echoHost) return { status: 200, body: host };
    if (server.redirect !== undefined) {
      if (url.pathname === "/") return { status: server.redirect, location: "/new" };
      return { status: server.targetStatus ?? 200, body: "" };
    }
    if (server.routes) {
      const path = url.pathname;
      if (path === "/redirect") {
        const loc = url.searchParams.get("loc");
        if (loc !== null)
          return { status: 302, location: loc.replace("{otherServer}", `http://${otherServer}`) };
        const r = server.routes["/redirect"];
        const m = typeof r === "string" ? /^(\d+) to (.*)$/.exec(r) : null;
        if (m) return { status: Number(m[1]), location: m[2]! };
      }
      const r = server.routes[path];
      if (typeof r === "number") return { status: r, body: "" };
      if (typeof r === "string") {
        const to = /^(\d+) to (.*)$/.exec(r);
        if (to) return { status: Number(to[1]), location: to[2]! };
        const cond = /^(\d+) if Host == (\S+) else (\d+)$/.exec(r);
        if (cond) return { status: host === cond[2] ? Number(cond[1]) : Number(cond[3]), body: "" };
      }
      return { status: Number(server.routes["*"] ?? 404), body: "" };
    }
    if (server.status !== undefined) {
      if (server.status < 100) throw new Error("EOF"); // Go's server drops the connection on a bad status
      const body =
        server.bodyBytes !== undefined ? (server.bodyChar ?? "a").repeat(server.bodyBytes) : server.body;
      return { status: server.status, body: body ?? "" };
    }
    return { status: 200, body: "" };
  };
}

describe("kubelet fixtures: probe_http.json", () => {
  it("has cases", () => expect(fixture.cases.length).toBeGreaterThan(0));
  for (const c of fixture.cases) {
    it(c.id, async () => {
      expect(c.kind).toBe("probe.http");
      const input = c.input as unknown as ProbeInput;
      const want = c.expected as {
        result: string;
        bodyContains?: string;
        bodyNotContains?: string;
        bodyLength?: number;
      };
      const httpHeaders = Object.entries(input.requestHeaders ?? {}).flatMap(([name, values]) =>
        values.map((value) => ({ name, value })),
      );
      const timeoutSeconds = Math.max(1, Math.round(parseDuration(input.timeout ?? "1s") / 1000));
      const action = resolveProbeAction(
        { httpGet: { port: 18080, path: input.path ?? "/", httpHeaders }, timeoutSeconds },
        { name: "c" },
        "127.0.0.1",
      );
      if (action.kind !== "http") throw new Error("not an HTTP action");
      const log: HttpProbeRequest[] = [];
      const verdict = await runHttpProbe(action, fakeTransport(input.server, log), {
        followNonLocalRedirects: input.followNonLocalRedirects,
      });
      expect(verdict.result).toBe(want.result);
      if (want.bodyContains) expect(verdict.body).toContain(want.bodyContains);
      if (want.bodyNotContains) expect(verdict.body ?? "").not.toContain(want.bodyNotContains);
      if (want.bodyLength !== undefined) expect(verdict.body?.length).toBe(want.bodyLength);
    });
  }
});

describe("HTTP probe details", () => {
  it("keeps the Host header on relative redirects only, and caps redirects at 10", async () => {
    const log: HttpProbeRequest[] = [];
    const action = resolveProbeAction(
      { httpGet: { port: 18080, path: "/loop", httpHeaders: [{ name: "host", value: "a.example" }] } },
      { name: "c" },
      "127.0.0.1",
    );
    if (action.kind !== "http") throw new Error("not an HTTP action");
    expect(action.hostHeader).toBe("a.example");
    const v = await runHttpProbe(action, fakeTransport({ routes: { "/loop": "302 to /loop" } }, log));
    expect(v.result).toBe("Failure");
    expect(v.output).toContain("stopped after 10 redirects");
    expect(log.length).toBe(10);
    expect(log.every((r) => r.hostHeader === "a.example")).toBe(true);
  });
  it("builds the URL from a named port, https scheme and IPv6 pod IP", () => {
    const a = resolveProbeAction(
      { httpGet: { port: "web", path: "healthz?x=1", scheme: "HTTPS" }, timeoutSeconds: 3 },
      { name: "c", ports: [{ name: "web", containerPort: 8443 }] },
      "fd00::5",
    );
    expect(a).toMatchObject({ kind: "http", url: "https://[fd00::5]:8443/healthz?x=1", timeoutMs: 3000 });
    expect(() => resolveProbeAction({ httpGet: { port: "nope" } }, { name: "c" }, "10.0.0.1")).toThrow(
      /nope/,
    );
  });
});
