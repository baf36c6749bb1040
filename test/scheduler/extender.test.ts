/** Drives the extender's Hono app with the JSON a real kube-scheduler sends (extender/v1, PascalCase). */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createExtenderApp } from "../../adapters/extender/app.ts";
import { MemoryClusterCache } from "../../adapters/extender/cluster-view.ts";
import { decodeExtenderConfig } from "../../adapters/extender/config.ts";
import { type FolderSource, startFolderSource } from "../../adapters/extender/folder-source.ts";
import { serveApp } from "../../adapters/http/serve.ts";
import { MetricsRegistry } from "../../adapters/metrics/registry.ts";
import type { Node, Pod } from "../../core/api/mod.ts";

function node(
  name: string,
  cpu: string,
  extra: Partial<Node["spec"]> = {},
  labels: Record<string, string> = {},
): Node {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name, labels: { "kubernetes.io/hostname": name, ...labels } },
    spec: { ...extra },
    status: {
      allocatable: { cpu, memory: "8Gi", pods: "110" },
      capacity: { cpu, memory: "8Gi", pods: "110" },
    },
  };
}

function pod(name: string, cpu: string, extra: Partial<Pod["spec"]> = {}): Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "default", uid: `uid-${name}` },
    spec: {
      containers: [{ name: "c", image: "app:1", resources: { requests: { cpu, memory: "1Gi" } } }],
      ...extra,
    },
  };
}

const nodes = [
  node("n1", "2"),
  node("n2", "8"),
  node("n3", "8", { taints: [{ key: "dedicated", value: "db", effect: "NoSchedule" }] }),
  node("n4", "500m"),
];
const placed = [
  pod("busy-1", "1", { nodeName: "n1", priority: 0 }),
  pod("busy-2", "500m", { nodeName: "n1", priority: 0 }),
  pod("vip", "500m", { nodeName: "n1", priority: 1000 }),
  pod("other", "1", { nodeName: "n2" }),
];

let dir: string;
let folder: FolderSource;
const cache = new MemoryClusterCache();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "kite-extender-test-"));
  writeFileSync(join(dir, "nodes.yaml"), nodes.map((n) => JSON.stringify(n)).join("\n---\n"));
  writeFileSync(join(dir, "pods.json"), JSON.stringify({ apiVersion: "v1", kind: "PodList", items: placed }));
  writeFileSync(join(dir, "ignored.yaml"), "apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n");
  folder = await startFolderSource(dir, cache);
});

afterAll(() => {
  folder.close();
  rmSync(dir, { recursive: true, force: true });
});

function app(
  config: Record<string, unknown> = {},
  extra: Parameters<typeof createExtenderApp>[0] extends infer T ? Partial<T> : never = {},
) {
  return createExtenderApp({
    config: decodeExtenderConfig({ urlPrefix: "/scheduler", ...config }),
    cluster: cache,
    metrics: new MetricsRegistry(),
    ...extra,
  });
}

async function post(a: ReturnType<typeof app>, path: string, body: unknown | string) {
  const res = await a.request(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & unknown[] };
}

const incoming = pod("web", "1500m");

describe("filter", () => {
  it("full Nodes mode: returns the passing Node objects and the failures by kind", async () => {
    const r = await post(app(), "/scheduler/filter", {
      Pod: incoming,
      Nodes: { metadata: {}, items: nodes },
      NodeNames: null,
    });
    expect(r.status).toBe(200);
    expect(r.body.NodeNames).toBeNull();
    expect((r.body.Nodes as { items: Node[] }).items.map((n) => n.metadata.name)).toEqual(["n2"]);
    expect(r.body.FailedNodes).toEqual({ n1: "Insufficient cpu" });
    expect(r.body.FailedAndUnresolvableNodes).toEqual({
      n3: "node(s) had untolerated taint(s)",
      n4: "Insufficient cpu",
    });
    expect(r.body.Error).toBe("");
  });

  it("nodeCacheCapable mode: names in, names out; unknown names fail", async () => {
    const r = await post(app({ nodeCacheCapable: true }), "/scheduler/filter", {
      Pod: incoming,
      Nodes: null,
      NodeNames: ["n1", "n2", "n3", "n4", "ghost"],
    });
    expect(r.status).toBe(200);
    expect(r.body.Nodes).toBeNull();
    expect(r.body.NodeNames).toEqual(["n2"]);
    expect(r.body.FailedNodes).toEqual({
      n1: "Insufficient cpu",
      ghost: 'node "ghost" is not in kite\'s node cache',
    });
    expect(Object.keys(r.body.FailedAndUnresolvableNodes as object).sort()).toEqual(["n3", "n4"]);
  });

  it("reads keys case-insensitively, as Go's decoder does", async () => {
    const r = await post(app(), "/scheduler/filter", { pod: incoming, nodenames: ["n2"] });
    expect(r.status).toBe(200);
    expect(r.body.NodeNames).toEqual(["n2"]);
  });
});

describe("prioritize", () => {
  it("returns a HostPriorityList with integer scores in 0..10 for every node sent", async () => {
    const profile = {
      plugins: { score: { disabled: [{ name: "*" }], enabled: [{ name: "NodeResourcesFit", weight: 1 }] } },
    };
    const r = await post(app({ profile }), "/scheduler/prioritize", {
      Pod: incoming,
      Nodes: null,
      NodeNames: ["n1", "n2"],
    });
    expect(r.status).toBe(200);
    // n2: cpu (8000-2500)/8000 → 68, memory (8Gi-2Gi)/8Gi → 75 → 71 → 7; n1 fails the filters → 0
    expect(r.body).toEqual([
      { Host: "n1", Score: 0 },
      { Host: "n2", Score: 7 },
    ]);
    const full = await post(app({ profile }), "/scheduler/prioritize", {
      Pod: incoming,
      Nodes: { metadata: {}, items: [nodes[1]] },
      NodeNames: null,
    });
    expect(full.body).toEqual([{ Host: "n2", Score: 7 }]);
  });
});

describe("preempt", () => {
  it("answers the minimal lower-priority victims per candidate, in the meta form", async () => {
    const preemptor = pod("urgent", "1", { priority: 500 });
    const r = await post(app(), "/scheduler/preempt", {
      Pod: preemptor,
      NodeNameToVictims: null,
      NodeNameToMetaVictims: {
        n1: { Pods: [{ UID: "uid-busy-1" }, { UID: "uid-busy-2" }], NumPDBViolations: 0 },
        n4: { Pods: [{ UID: "x" }], NumPDBViolations: 0 },
        elsewhere: { Pods: [{ UID: "y" }], NumPDBViolations: 1 },
      },
    });
    expect(r.status).toBe(200);
    // n1: 2 cpu, vip (priority 1000) keeps 500m; reprieving busy-1 (1) leaves too little, busy-2 (500m) fits back
    expect(r.body).toEqual({
      NodeNameToMetaVictims: {
        n1: { Pods: [{ UID: "uid-busy-1" }], NumPDBViolations: 0 },
        elsewhere: { Pods: [{ UID: "y" }], NumPDBViolations: 1 },
      },
    });
  });

  it("accepts full victims (NodeNameToVictims) too", async () => {
    const r = await post(app(), "/scheduler/preempt", {
      Pod: pod("urgent", "1", { priority: 500 }),
      NodeNameToVictims: { n1: { Pods: [placed[0], placed[1]], NumPDBViolations: 0 } },
      NodeNameToMetaVictims: null,
    });
    expect(r.body).toEqual({
      NodeNameToMetaVictims: { n1: { Pods: [{ UID: "uid-busy-1" }], NumPDBViolations: 0 } },
    });
  });
});

describe("bind", () => {
  const args = { PodName: "web", PodNamespace: "default", PodUID: "uid-web", Node: "n2" };
  it("says no API server is configured by default", async () => {
    const r = await post(app(), "/scheduler/bind", args);
    expect(r.status).toBe(200);
    expect(r.body.Error).toMatch(/no API server is configured/);
  });
  it("calls the injected binder", async () => {
    const calls: string[][] = [];
    const binder = {
      bind: async (ns: string, name: string, uid: string, n: string) => void calls.push([ns, name, uid, n]),
    };
    const r = await post(app({}, { binder }), "/scheduler/bind", args);
    expect(r.body).toEqual({ Error: "" });
    expect(calls).toEqual([["default", "web", "uid-web", "n2"]]);
    const failing = { bind: async () => Promise.reject(new Error("conflict: pod already bound")) };
    expect((await post(app({}, { binder: failing }), "/scheduler/bind", args)).body.Error).toBe(
      "conflict: pod already bound",
    );
  });
});

describe("bad input", () => {
  const a = app({ maxBodyBytes: 4096 });
  it("400 for malformed JSON, wrong types, bad quantities, missing fields, unknown verbs", async () => {
    const cases: [string, string | unknown, RegExp][] = [
      ["/scheduler/filter", "{not json", /^body: malformed JSON/],
      ["/scheduler/filter", [], /^body: must be a JSON object/],
      ["/scheduler/filter", { NodeNames: ["n1"] }, /^Pod: is required/],
      [
        "/scheduler/filter",
        { Pod: { metadata: {}, spec: { containers: {} } }, NodeNames: [] },
        /^Pod\.spec\.containers: must be a list/,
      ],
      ["/scheduler/filter", { Pod: incoming, NodeNames: "n1" }, /^NodeNames: must be a list/],
      [
        "/scheduler/filter",
        { Pod: incoming, NodeNames: null, Nodes: null },
        /^Nodes: either Nodes or NodeNames/,
      ],
      [
        "/scheduler/filter",
        { Pod: pod("bad", "lots"), NodeNames: ["n1"] },
        /^pod\.spec\.containers\[0\]\.resources\.requests\[cpu\]: quantity "lots"/,
      ],
      [
        "/scheduler/filter",
        {
          Pod: incoming,
          Nodes: { items: [{ metadata: { name: "x" }, status: { allocatable: { cpu: "??" } } }] },
        },
        /^Nodes\.items\[0\]\.status\.allocatable\[cpu\]/,
      ],
      [
        "/scheduler/preempt",
        { Pod: incoming, NodeNameToMetaVictims: { n1: { Pods: [{ UID: 7 }] } } },
        /^NodeNameToMetaVictims\[n1\]\.Pods\[0\]\.UID/,
      ],
      ["/scheduler/bind", { PodNamespace: "x", Node: "n1" }, /^PodName: is required/],
      ["/scheduler/unknown", { Pod: incoming }, /^verb: unknown verb "unknown"/],
    ];
    for (const [path, body, message] of cases) {
      const r = await post(a, path, body);
      expect([path, r.status]).toEqual([path, 400]);
      expect(String(r.body.Error)).toMatch(message);
    }
  });

  it("413 for bodies over the limit, by header or by streamed size", async () => {
    const big = JSON.stringify({
      Pod: incoming,
      NodeNames: Array.from({ length: 1000 }, (_, i) => `node-${i}`),
    });
    expect((await post(a, "/scheduler/filter", big)).status).toBe(413);
    const streamed = await a.request("/scheduler/filter", {
      method: "POST",
      body: new ReadableStream({
        start(c) {
          c.enqueue(new TextEncoder().encode(big));
          c.close();
        },
      }),
      duplex: "half",
    } as RequestInit);
    expect(streamed.status).toBe(413);
  });

  it("keeps serving after bad requests, and counts them in /metrics", async () => {
    const ok = await post(a, "/scheduler/filter", { Pod: incoming, NodeNames: ["n2"] });
    expect(ok.status).toBe(200);
    const text = await (await a.request("/metrics")).text();
    expect(text).toContain('scheduler_extender_requests_total{verb="filter",code="200"} 1');
    expect(text).toMatch(/scheduler_extender_requests_total\{verb="filter",code="400"\} [1-9]/);
    expect(text).toContain('scheduler_extender_requests_total{verb="filter",code="413"} 2');
    expect(text).toContain('scheduler_extender_request_duration_seconds_count{verb="filter"}');
    expect(await (await a.request("/healthz")).text()).toBe("ok");
  });
});

describe("POST /simulate", () => {
  it("explains the decision as JSON", async () => {
    const r = await post(app(), "/simulate", { pod: incoming, nodes, pods: placed });
    expect(r.status).toBe(200);
    expect(r.body.selectedNode).toBe("n2");
    const verdicts = Object.fromEntries(
      (r.body.nodes as { node: string; filter: { plugin?: string } }[]).map((n) => [
        n.node,
        n.filter.plugin ?? "passed",
      ]),
    );
    expect(verdicts).toEqual({
      n1: "NodeResourcesFit",
      n2: "passed",
      n3: "TaintToleration",
      n4: "NodeResourcesFit",
    });
    const bad = await post(app(), "/simulate", { pod: incoming, nodes: "n1" });
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe("nodes");
  });
});

describe("on a real socket", () => {
  it("serves filter and prioritize over HTTP", async () => {
    const server = await serveApp(app({ nodeCacheCapable: true }) as never, { host: "127.0.0.1", port: 0 });
    try {
      const url = `http://127.0.0.1:${server.port}/scheduler`;
      const args = JSON.stringify({ Pod: incoming, Nodes: null, NodeNames: ["n1", "n2"] });
      const f = await fetch(`${url}/filter`, {
        method: "POST",
        body: args,
        headers: { "content-type": "application/json" },
      });
      expect(f.status).toBe(200);
      expect(((await f.json()) as { NodeNames: string[] }).NodeNames).toEqual(["n2"]);
      const p = await fetch(`${url}/prioritize`, { method: "POST", body: args });
      const scores = (await p.json()) as { Host: string; Score: number }[];
      expect(scores.map((s) => s.Host)).toEqual(["n1", "n2"]);
      expect(scores.every((s) => Number.isInteger(s.Score) && s.Score >= 0 && s.Score <= 10)).toBe(true);
    } finally {
      await server.close();
    }
  });
});

describe("a kube-scheduler request body as sent (full objects, managedFields, status)", () => {
  it("filters and prioritizes it", async () => {
    const { readFile } = await import("node:fs/promises");
    const body = await readFile(new URL("./wire/filter-args-nodes.json", import.meta.url), "utf8");
    const a = app();
    const f = await post(a, "/scheduler/filter", body);
    expect(f.status).toBe(200);
    expect((f.body.Nodes as { items: Node[] }).items.map((n) => n.metadata.name)).toEqual(["worker-1"]);
    expect(f.body.NodeNames).toBeNull();
    // worker-2 is cordoned (NodeUnschedulable runs before TaintToleration), worker-3 has 200m for a 250m request.
    expect(f.body.FailedAndUnresolvableNodes).toEqual({
      "worker-2": "node(s) were unschedulable",
      "worker-3": "Insufficient cpu",
    });
    expect(f.body.FailedNodes).toEqual({});
    const p = await post(a, "/scheduler/prioritize", body);
    expect(p.status).toBe(200);
    expect((p.body as unknown as { Host: string }[]).map((h) => h.Host)).toEqual([
      "worker-1",
      "worker-2",
      "worker-3",
    ]);
  });
});
