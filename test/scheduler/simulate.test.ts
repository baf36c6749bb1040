/**
 * `kite simulate`: the CLI on the example input (table and JSON), bad input,
 * and a sample of the shared upstream fixtures run through the same path the
 * CLI uses (runSimulation), with a profile that enables only the plugin
 * under test.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { main } from "../../adapters/cli/main.ts";
import { runSimulation } from "../../adapters/extender/simulate-input.ts";
import type { SchedulingResult } from "../../core/scheduler/mod.ts";
import { loadFixture } from "../fixtures.ts";
import { type FixtureNode, type FixturePod, fixtureNode, fixturePod } from "./fixture-shapes.ts";

const example = new URL("../../examples/scheduler/simulate-input.yaml", import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), "kite-simulate-test-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const o = vi.spyOn(process.stdout, "write").mockImplementation((s) => {
    out += String(s);
    return true;
  });
  const e = vi.spyOn(process.stderr, "write").mockImplementation((s) => {
    err += String(s);
    return true;
  });
  try {
    return { code: await main(args), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

describe("kite simulate", () => {
  it("prints a table with verdicts, weighted scores and the chosen node", async () => {
    const r = await cli(["simulate", "-f", example]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("pod shop/web-7: schedule on node-a (2/4 nodes passed the filters)");
    expect(r.out).toMatch(/\*\s+node-a\s+passed/);
    expect(r.out).toMatch(/node-c\s+TaintToleration: node\(s\) had untolerated taint\(s\) \(unresolvable\)/);
    expect(r.out).toMatch(/node-d\s+NodeResourcesFit: Insufficient cpu/);
  });

  it("prints JSON with -o json", async () => {
    const r = await cli(["simulate", "-f", example, "-o", "json"]);
    const result = JSON.parse(r.out) as SchedulingResult;
    expect(result.selectedNode).toBe("node-a");
    const a = result.nodes.find((n) => n.node === "node-a")!;
    expect(a.scores!.find((s) => s.plugin === "NodeAffinity")).toEqual({
      plugin: "NodeAffinity",
      raw: 10,
      normalized: 100,
      weight: 2,
      weighted: 200,
    });
    expect(a.total).toBe(a.scores!.reduce((t, s) => t + s.weighted, 0));
  });

  it("fails with exit code 2 naming the field on bad input", async () => {
    const bad = join(tmp, "bad.json");
    writeFileSync(
      bad,
      JSON.stringify({ pod: { metadata: {}, spec: { containers: [] } }, nodes: [{ metadata: {} }] }),
    );
    const r = await cli(["simulate", "-f", bad]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("nodes[0].metadata.name: must be a string");
    const yaml = join(tmp, "bad.yaml");
    writeFileSync(yaml, "pod: [unclosed\n");
    expect((await cli(["simulate", "-f", yaml])).err).toContain("neither valid JSON nor YAML");
    expect((await cli(["simulate"])).err).toContain("filename");
    expect((await cli(["simulate", "-f", example, "-o", "xml"])).code).toBe(2);
  });
});

interface FixtureCase {
  name: string;
  pluginArgs?: unknown;
  featureGates?: Record<string, boolean>;
  pod: FixturePod;
  nodes: FixtureNode[];
  existingPods?: FixturePod[];
  expected: {
    scores?: { node: string; score: number }[];
    filter?: Record<string, { code: string; reasons?: string[] }>;
    preFilter?: unknown;
    configError?: unknown;
    preScore?: unknown;
    preScoreStatus?: unknown;
  };
}

function simulateCase(plugin: string, point: "filter" | "score", c: FixtureCase): SchedulingResult {
  const only = { disabled: [{ name: "*" }], enabled: [{ name: plugin, weight: 1 }] };
  const none = { disabled: [{ name: "*" }] };
  return runSimulation({
    pod: fixturePod(c.pod),
    nodes: c.nodes.map(fixtureNode),
    pods: (c.existingPods ?? []).map((p, i) => fixturePod(p, i + 1)),
    featureGates: c.featureGates ?? {},
    profile: {
      plugins: point === "filter" ? { filter: only, score: none } : { filter: none, score: only },
      pluginConfig: c.pluginArgs ? [{ name: plugin, args: c.pluginArgs }] : [],
    },
  });
}

const samples: [string, string, "filter" | "score"][] = [
  ["scheduler/tainttoleration_filter.json", "TaintToleration", "filter"],
  ["scheduler/noderesources_fit_filter.json", "NodeResourcesFit", "filter"],
  ["scheduler/noderesources_leastallocated_score.json", "NodeResourcesFit", "score"],
  ["scheduler/noderesources_mostallocated_score.json", "NodeResourcesFit", "score"],
  ["scheduler/tainttoleration_score.json", "TaintToleration", "score"],
];

for (const [file, plugin, point] of samples) {
  const data = await loadFixture<{ cases: FixtureCase[] }>(file);
  const cases = data.cases.filter(
    (c) =>
      !c.expected.preFilter && !c.expected.configError && !c.expected.preScore && !c.expected.preScoreStatus,
  );
  describe(`kite simulate on ${file}`, () => {
    it.each(cases)("$name", (c) => {
      const r = simulateCase(plugin, point, c);
      if (point === "filter") {
        for (const [nodeName, want] of Object.entries(c.expected.filter ?? {})) {
          const got = r.nodes.find((n) => n.node === nodeName)!;
          expect([got.filter.code, got.filter.reasons]).toEqual([want.code, want.reasons ?? []]);
        }
      } else {
        const got = r.nodes.map((n) => ({ node: n.node, score: n.scores?.[0]?.normalized }));
        expect(got).toEqual(c.expected.scores);
      }
    });
  });
}
