/**
 * On a socket, filter and prioritize are answered by the node:http fast path
 * (adapters/extender/node-fast-path.ts), everything else by the Hono app. These
 * tests hold the fast path to the app's behaviour: the same status and body for
 * any input (bad input → 400 naming the field), 413s, metrics, and the routes it
 * must leave to the app. Also the hand-written JSON of the HostPriorityList.
 */
import { request } from "node:http";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createExtenderApp } from "../../adapters/extender/app.ts";
import { MemoryClusterCache } from "../../adapters/extender/cluster-view.ts";
import { decodeExtenderConfig } from "../../adapters/extender/config.ts";
import { type HostScores, hostPriorityList } from "../../adapters/extender/prioritize-verb.ts";
import { isBlank } from "../../adapters/extender/verb-reply.ts";
import { encodeFilterResult, encodeHostPriorityList } from "../../adapters/extender/wire-encode.ts";
import { type RunningServer, serveApp } from "../../adapters/http/serve.ts";
import { MetricsRegistry } from "../../adapters/metrics/registry.ts";
import type { Node, Pod } from "../../core/api/mod.ts";

function node(name: string, cpu: string, taint = false): Node {
  return {
    metadata: { name, labels: { "kubernetes.io/hostname": name } },
    spec: taint ? { taints: [{ key: "dedicated", value: "db", effect: "NoSchedule" }] } : {},
    status: { allocatable: { cpu, memory: "8Gi", pods: "110" } },
  };
}

function pod(name: string, cpu: string, nodeName?: string): Pod {
  return {
    metadata: { name, namespace: "default", uid: `uid-${name}` },
    spec: {
      ...(nodeName ? { nodeName } : {}),
      containers: [{ name: "c", image: "app:1", resources: { requests: { cpu, memory: "1Gi" } } }],
    },
  };
}

const nodes = [node("n1", "2"), node("n2", "8"), node("n3", "8", true), node("n4", "500m")];
const cache = new MemoryClusterCache();
cache.replace(nodes, [pod("busy", "1500m", "n1"), pod("other", "1", "n2")]);
const incoming = pod("web", "1");
const maxBodyBytes = 4096;

function makeApp(metrics = new MetricsRegistry()) {
  return createExtenderApp({
    config: decodeExtenderConfig({ urlPrefix: "/scheduler", nodeCacheCapable: true, maxBodyBytes }),
    cluster: cache,
    metrics,
  });
}

interface Answer {
  status: number;
  type: string | null;
  body: string;
}

/** A raw HTTP/1.1 request on the socket (a string body is sent as is, chunked when asked). */
function send(
  port: number,
  method: string,
  path: string,
  body: string | Buffer | null,
  options: { chunked?: boolean } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { "content-type": "application/json" };
    if (body !== null && !options.chunked) headers["content-length"] = Buffer.byteLength(body);
    const req = request({ host: "127.0.0.1", port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          type: res.headers["content-type"] ?? null,
          body: Buffer.concat(chunks).toString("utf8"),
        }),
      );
      res.on("error", reject);
    });
    req.on("error", reject);
    if (body !== null && options.chunked) {
      // Several chunks, no content-length: the size limit applies to the bytes read.
      const bytes = Buffer.from(body);
      for (let i = 0; i < bytes.length; i += 1000) req.write(bytes.subarray(i, i + 1000));
      req.end();
    } else req.end(body ?? undefined);
  });
}

/** The same request through the Hono app, without a socket. */
async function viaApp(
  a: ReturnType<typeof makeApp>,
  method: string,
  path: string,
  body: string | null,
): Promise<Answer> {
  // With content-length, as on the socket (the app reads a body without one as a stream).
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (body !== null) headers["content-length"] = String(Buffer.byteLength(body));
  const res = await a.request(path, { method, headers, ...(body !== null ? { body } : {}) });
  return { status: res.status, type: res.headers.get("content-type"), body: await res.text() };
}

let server: RunningServer;
const metrics = new MetricsRegistry();
const served = makeApp(metrics);
const reference = makeApp();

beforeAll(async () => {
  server = await serveApp(served as never, { host: "127.0.0.1", port: 0 });
});

afterAll(async () => {
  await server.close();
});

const args = (names: unknown, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ Pod: incoming, Nodes: null, NodeNames: names, ...extra });

describe("the node:http fast path answers as the Hono app does", () => {
  const cases: [string, string, string | null][] = [
    ["filter, names", "/scheduler/filter", args(["n1", "n2", "n3", "n4", "gone"])],
    ["prioritize, names", "/scheduler/prioritize", args(["n2", "n4", "n1", "gone"])],
    ["filter, full Nodes", "/scheduler/filter", JSON.stringify({ Pod: incoming, Nodes: { items: nodes } })],
    [
      "prioritize, full Nodes",
      "/scheduler/prioritize",
      JSON.stringify({ Pod: incoming, Nodes: { items: nodes } }),
    ],
    ["lower-case keys", "/scheduler/filter", JSON.stringify({ pod: incoming, nodenames: ["n2"] })],
    ["empty name list", "/scheduler/prioritize", args([])],
    ["a UTF-8 BOM before the JSON", "/scheduler/filter", `\ufeff${args(["n2"])}`],
    ["a query string", "/scheduler/filter?x=1", args(["n2"])],
    ["names needing escapes", "/scheduler/prioritize", args(['a"b', "c\\d", "\u2028", "é", "\ud800"])],
    ["malformed JSON", "/scheduler/filter", "{"],
    ["empty body", "/scheduler/prioritize", ""],
    ["blank body", "/scheduler/filter", " \n\t "],
    ["not an object", "/scheduler/filter", "[1,2]"],
    ["no Pod", "/scheduler/filter", JSON.stringify({ NodeNames: ["n1"] })],
    ["no nodes", "/scheduler/prioritize", JSON.stringify({ Pod: incoming })],
    ["a name that is not a string", "/scheduler/filter", args(["n1", 7])],
    ["a bad quantity", "/scheduler/filter", args(["n1"], { Pod: pod("x", "lots") })],
    ["a bad Nodes item", "/scheduler/filter", JSON.stringify({ Pod: incoming, Nodes: { items: [7] } })],
  ];
  for (const [label, path, body] of cases) {
    it(label, async () => {
      const want = await viaApp(reference, "POST", path, body);
      const got = await send(server.port, "POST", path, body);
      expect(got).toEqual(want);
      if (want.status === 400) expect(JSON.parse(want.body).field).toBeTruthy();
    });
  }

  it("leaves other routes, methods and verbs to the app", async () => {
    for (const [method, path, body] of [
      ["GET", "/healthz", null],
      ["GET", "/scheduler/filter", null],
      ["POST", "/scheduler/filter/", args(["n1"])],
      ["POST", "/scheduler/preempt", JSON.stringify({ Pod: incoming, NodeNameToMetaVictims: {} })],
      ["POST", "/scheduler/unknown", args(["n1"])],
      ["POST", "/filter", args(["n1"])],
    ] as const) {
      const want = await viaApp(reference, method, path, body);
      const got = await send(server.port, method, path, body);
      expect([method, path, got.status, got.body]).toEqual([method, path, want.status, want.body]);
    }
  });

  it("agrees with the app on any body, and names the field of every 400", async () => {
    const name = fc.oneof(fc.constantFrom("n1", "n2", "n3", "n4", "missing"), fc.string({ unit: "binary" }));
    const body = fc.oneof(
      fc.record({ Pod: fc.constant(incoming), Nodes: fc.constant(null), NodeNames: fc.array(name) }),
      fc.record(
        {
          Pod: fc.oneof(fc.constant(incoming), fc.anything()),
          Nodes: fc.oneof(fc.constant(null), fc.constant({ items: nodes }), fc.anything()),
          NodeNames: fc.oneof(fc.constant(null), fc.array(fc.oneof(name, fc.anything())), fc.anything()),
        },
        { requiredKeys: [] },
      ),
      fc.anything(),
    );
    const text = fc.oneof(
      body.map((b) => JSON.stringify(b) ?? "null"),
      fc.string({ unit: "binary" }),
      fc.json(),
      // Around the size limit.
      fc.array(name, { minLength: 300, maxLength: 700 }).map((names) => args(names)),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom("filter", "prioritize"), text, async (verb, t) => {
        const path = `/scheduler/${verb}`;
        const want = await viaApp(reference, "POST", path, t);
        const got = await send(server.port, "POST", path, t);
        expect(got).toEqual(want);
        expect([200, 400, 413]).toContain(got.status);
        if (got.status !== 200) expect(JSON.parse(got.body).field).toBeTruthy();
      }),
      { numRuns: 300, seed: 20261124 },
    );
  });

  it("413 over the limit, by declared length or by the bytes of a chunked body, and keeps serving", async () => {
    const big = args(Array.from({ length: 1000 }, (_, i) => `node-${i}`));
    expect(Buffer.byteLength(big)).toBeGreaterThan(maxBodyBytes);
    const declared = await send(server.port, "POST", "/scheduler/filter", big);
    expect(declared.status).toBe(413);
    expect(JSON.parse(declared.body)).toEqual({
      Error: `body: request body of ${Buffer.byteLength(big)} bytes exceeds the limit of ${maxBodyBytes} bytes`,
      field: "body",
    });
    expect(declared).toEqual(await viaApp(reference, "POST", "/scheduler/filter", big));
    const chunked = await send(server.port, "POST", "/scheduler/prioritize", big, { chunked: true });
    expect(chunked.status).toBe(413);
    expect(JSON.parse(chunked.body)).toEqual({
      Error: `body: request body exceeds the limit of ${maxBodyBytes} bytes`,
      field: "body",
    });
    const small = await send(server.port, "POST", "/scheduler/filter", args(["n2"]), { chunked: true });
    expect(small.status).toBe(200);
    expect(JSON.parse(small.body).NodeNames).toEqual(["n2"]);
  });

  it("counts its requests in /metrics", async () => {
    const m = new MetricsRegistry();
    const a = makeApp(m);
    const s = await serveApp(a as never, { host: "127.0.0.1", port: 0 });
    try {
      expect((await send(s.port, "POST", "/scheduler/filter", args(["n2"]))).status).toBe(200);
      expect((await send(s.port, "POST", "/scheduler/prioritize", "{")).status).toBe(400);
      const text = (await send(s.port, "GET", "/metrics", null)).body;
      expect(text).toContain('scheduler_extender_requests_total{verb="filter",code="200"} 1');
      expect(text).toContain('scheduler_extender_requests_total{verb="prioritize",code="400"} 1');
      expect(text).toContain('scheduler_extender_request_duration_seconds_count{verb="filter"} 1');
    } finally {
      await s.close();
    }
  });
});

// Names of every kind: random code units, and short mixes of the characters JSON must escape with plain ones.
const anyName = fc.oneof(
  fc.string({ unit: "binary" }),
  fc.string({ unit: fc.constantFrom('"', "\\", "a", "-", "0", "\n", "\u007f", "é", "\ud800", "\u2028") }),
  fc.constantFrom("node-00001", "ip-10-0-0-1.ec2.internal"),
);

describe("encodeHostPriorityList", () => {
  it("writes what JSON.stringify writes for the list of {Host, Score}", () => {
    const scores: fc.Arbitrary<HostScores> = fc
      .array(fc.tuple(anyName, fc.integer({ min: 0, max: 10 })))
      .map((rows) => ({ hosts: rows.map((r) => r[0]), scores: rows.map((r) => r[1]) }));
    fc.assert(
      fc.property(scores, (r) => {
        const bytes = encodeHostPriorityList(r);
        expect(Buffer.from(bytes).equals(Buffer.from(JSON.stringify(hostPriorityList(r)), "utf8"))).toBe(
          true,
        );
      }),
      { numRuns: 500, seed: 20261124 },
    );
    expect(encodeHostPriorityList({ hosts: ["a", "b"], scores: [10, 0] }).toString("utf8")).toBe(
      '[{"Host":"a","Score":10},{"Host":"b","Score":0}]',
    );
  });

  it("refuses a score that is not an integer in range", () => {
    expect(encodeHostPriorityList({ hosts: [], scores: [] }).toString("utf8")).toBe("[]");
    expect(() => encodeHostPriorityList({ hosts: ["a"], scores: [1.5] })).toThrow(RangeError);
    expect(() => encodeHostPriorityList({ hosts: ["a"], scores: [-1] })).toThrow(RangeError);
  });
});

describe("encodeFilterResult", () => {
  it("writes what JSON.stringify writes for the filter result, in both modes", () => {
    const text = anyName;
    const result = fc.record({
      Nodes: fc.oneof(fc.constant(null), fc.constant({ metadata: {}, items: nodes })),
      NodeNames: fc.oneof(fc.constant(null), fc.array(text)),
      FailedNodes: fc.dictionary(text, text),
      FailedAndUnresolvableNodes: fc.dictionary(text, text),
      Error: text,
    });
    fc.assert(
      fc.property(result, (r) => {
        const encoded = encodeFilterResult(r);
        const bytes = typeof encoded === "string" ? Buffer.from(encoded, "utf8") : Buffer.from(encoded);
        expect(bytes.toString("utf8")).toBe(JSON.stringify(r));
        expect(bytes.equals(Buffer.from(JSON.stringify(r), "utf8"))).toBe(true);
      }),
      { numRuns: 500, seed: 20261124 },
    );
  });
});

describe("isBlank", () => {
  it("is text.trim() === '' without the copy", () => {
    const ws = fc.constantFrom(
      " ",
      "\t",
      "\n",
      "\r",
      "\v",
      "\f",
      "\u00a0",
      "\ufeff",
      "\u2028",
      "\u3000",
      "x",
      "",
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: "binary" }),
          fc.array(ws).map((a) => a.join("")),
        ),
        (s) => {
          expect(isBlank(s)).toBe(s.trim() === "");
        },
      ),
      { numRuns: 1000, seed: 20261124 },
    );
  });
});
