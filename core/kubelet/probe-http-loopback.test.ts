/**
 * The HTTP probe against real loopback servers (Node only: under Deno the core suites run without network
 * permission, and the same cases run in-memory in probe-http.test.ts). The transport here is the minimal one the
 * daemon needs: one GET, no redirect following, Host header from `hostHeader`.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { describe, expect, it } from "../../test/harness.ts";
import { type HttpTransport, resolveProbeAction, runHttpProbe } from "./mod.ts";

const isDeno = "Deno" in globalThis;

async function startServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ server: Server; port: number }> {
  const http = await import("node:http");
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const addr = server.address();
  if (!addr || typeof addr === "string") throw new Error("no address");
  return { server, port: addr.port };
}

const nodeTransport: HttpTransport = async (req) => {
  const http = await import("node:http");
  return new Promise((resolve, reject) => {
    const url = new URL(req.url);
    const headers: Record<string, string> = {};
    for (const [k, v] of req.headers) headers[k] = v;
    if (req.hostHeader) headers.Host = req.hostHeader;
    const r = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: `${url.pathname}${url.search}`,
        method: "GET",
        headers,
        timeout: req.timeoutMs,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          if (size <= 10 * 1024) chunks.push(c);
          size += c.length;
        });
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            location: res.headers.location ?? null,
            body: new Uint8Array(Buffer.concat(chunks)),
          }),
        );
        res.on("error", reject);
      },
    );
    r.on("timeout", () => r.destroy(new Error("timeout awaiting response headers")));
    r.on("error", reject);
    r.end();
  });
};

if (isDeno) {
  it.skip("HTTP probe against loopback servers (needs network permission; Node only)", () => {});
} else {
  describe("HTTP probe against loopback servers", () => {
    it("follows a same-host redirect to another port, refuses another host, and keeps Host on relative redirects", async () => {
      const other = await startServer((req, res) => {
        res.writeHead(req.url === "/ok" ? 200 : 500).end("other");
      });
      const main = await startServer((req, res) => {
        const url = new URL(req.url ?? "/", "http://x");
        if (url.pathname === "/to-other")
          res.writeHead(302, { Location: `http://127.0.0.1:${other.port}/ok` }).end();
        else if (url.pathname === "/elsewhere")
          res.writeHead(302, { Location: "http://example.invalid/x" }).end();
        else if (url.pathname === "/rel") res.writeHead(301, { Location: "/host" }).end();
        else if (url.pathname === "/host")
          res.writeHead(req.headers.host === "svc.local" ? 200 : 400).end(req.headers.host);
        else if (url.pathname === "/ua")
          res.writeHead(200).end(`${req.headers["user-agent"]}|${req.headers.accept}`);
        else if (url.pathname === "/slow") setTimeout(() => res.writeHead(200).end(), 2500);
        else res.writeHead(503).end("x".repeat(20_000));
      });
      try {
        const probe = async (
          path: string,
          headers: { name: string; value: string }[] = [],
          timeoutSeconds = 10,
        ) => {
          const action = resolveProbeAction(
            { httpGet: { port: main.port, path, httpHeaders: headers }, timeoutSeconds },
            { name: "c" },
            "127.0.0.1",
          );
          if (action.kind !== "http") throw new Error("not http");
          return runHttpProbe(action, nodeTransport);
        };
        expect((await probe("/to-other")).result).toBe("Success");
        expect((await probe("/elsewhere")).result).toBe("Warning");
        expect((await probe("/rel", [{ name: "Host", value: "svc.local" }])).result).toBe("Success");
        const ua = await probe("/ua");
        expect(ua.body).toMatch(/^kube-probe\/\d+\.\d+\|\*\/\*$/);
        const failed = await probe("/fail");
        expect(failed).toMatchObject({ result: "Failure", output: "HTTP probe failed with statuscode: 503" });
        expect(failed.body?.length).toBe(10 * 1024);
        // the server answers after 2.5 s; a 1 s probe timeout makes that a Failure, not an error
        expect((await probe("/slow", [], 1)).result).toBe("Failure");
      } finally {
        main.server.closeAllConnections();
        other.server.closeAllConnections();
        await new Promise((r) => main.server.close(r));
        await new Promise((r) => other.server.close(r));
      }
    });
  });
}
