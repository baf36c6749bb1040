/**
 * Runs every case of ../shared/fixtures/scheduler through the public API
 * (core/scheduler/mod.ts): plugin construction with the case's args, then
 * PreFilter/Filter or PreScore/Score/NormalizeScore over a snapshot built
 * from the case's nodes and existing pods.
 */

import { loadFixtureFiles } from "../../test/fixtures.ts";
import { describe, expect, it } from "../../test/harness.ts";
import {
  type FixtureNode,
  type FixturePod,
  fixtureNode,
  fixturePod,
} from "../../test/scheduler/fixture-shapes.ts";
import type { KiteError } from "../errors/mod.ts";
import {
  buildBrokenLinearFunction,
  buildSnapshot,
  type FeatureGates,
  fieldErrorType,
  newCycleContext,
  newPlugin,
  normalizedImageName,
  resolveFeatureGates,
  runScorePlugin,
} from "./mod.ts";

interface Case {
  name: string;
  pluginArgs?: unknown;
  featureGates?: Partial<FeatureGates>;
  runPreScore?: boolean;
  runPreFilter?: boolean;
  pod: FixturePod;
  nodes: FixtureNode[];
  existingPods?: FixturePod[];
  expected: {
    scores?: { node: string; score: number }[];
    scoreStatus?: string;
    preScoreStatus?: string;
    preScore?: { code: string; message?: string };
    configError?: { type: string; field: string };
    filter?: Record<
      string,
      { code: string; reasons?: string[]; insufficientResources?: Record<string, unknown>[] }
    >;
    preFilter?: { code: string; reasons?: string[]; nodeNames?: string[] | null };
  };
}

interface FixtureFileData {
  plugin: string;
  extensionPoint: "score" | "filter";
  pluginArgs?: unknown;
  cases: Case[];
  brokenLinearFunctionCases?: {
    points: { utilization: number; score: number }[];
    assertions: [number, number][];
  }[];
  normalizedImageNameCases?: { name: string; input: string; output: string }[];
}

const files = await loadFixtureFiles("scheduler");

function setup(file: FixtureFileData, c: Case) {
  const gates = resolveFeatureGates(c.featureGates);
  const plugin = newPlugin(file.plugin, c.pluginArgs ?? file.pluginArgs ?? {}, { featureGates: gates });
  const snapshot = buildSnapshot(
    c.nodes.map(fixtureNode),
    (c.existingPods ?? []).map((p, i) => fixturePod(p, i + 1)),
    gates,
  );
  const ctx = newCycleContext(fixturePod(c.pod), snapshot, gates);
  return { plugin, snapshot, ctx };
}

function runScoreCase(file: FixtureFileData, c: Case): void {
  if (c.expected.configError) {
    let err: KiteError | undefined;
    try {
      newPlugin(file.plugin, c.pluginArgs ?? {}, { featureGates: c.featureGates ?? null });
    } catch (e) {
      err = e as KiteError;
    }
    expect(err, "plugin construction must fail").toBeDefined();
    expect(err!.field).toBe(c.expected.configError.field);
    expect(fieldErrorType(err!)).toBe(c.expected.configError.type);
    return;
  }
  const { plugin, snapshot, ctx } = setup(file, c);
  const preScoreCode = c.expected.preScore?.code ?? c.expected.preScoreStatus;
  if (preScoreCode) {
    expect(plugin.preScore, "plugin has PreScore").toBeDefined();
    expect(plugin.preScore!(ctx, snapshot.nodeInfos).code).toBe(preScoreCode);
    return;
  }
  const r = runScorePlugin(plugin, ctx, snapshot.nodeInfos, { runPreScore: c.runPreScore !== false });
  expect(r.status.code).toBe("Success");
  const got = snapshot.nodeInfos.map((n, i) => ({ node: n.name, score: r.normalized[i] }));
  expect(got).toEqual(c.expected.scores);
}

function runFilterCase(file: FixtureFileData, c: Case): void {
  const { plugin, snapshot, ctx } = setup(file, c);
  const pre = c.expected.preFilter;
  if (pre || c.runPreFilter) {
    const r = plugin.preFilter ? plugin.preFilter(ctx) : { status: { code: "Success", reasons: [] } };
    if (pre) {
      expect(r.status.code).toBe(pre.code);
      if (pre.reasons) expect([...r.status.reasons]).toEqual(pre.reasons);
      if ("nodeNames" in pre) {
        const names = "nodeNames" in r && r.nodeNames ? [...r.nodeNames].sort() : null;
        expect(names).toEqual(pre.nodeNames === null ? null : [...pre.nodeNames!].sort());
      }
    }
  }
  if (!c.expected.filter) return;
  for (const [nodeName, want] of Object.entries(c.expected.filter)) {
    const ni = snapshot.byName.get(nodeName);
    expect(ni, `node ${nodeName}`).toBeDefined();
    const s = plugin.filter!(ctx, ni!);
    expect(s.code).toBe(want.code);
    expect([...s.reasons]).toEqual(want.reasons ?? []);
    if (want.insufficientResources) {
      expect(s.insufficientResources ?? []).toEqual(want.insufficientResources);
    }
  }
}

for (const { name, data } of files) {
  const file = data as FixtureFileData;
  describe(`fixture ${name}`, () => {
    for (const c of file.cases) {
      it(c.name, () => (file.extensionPoint === "score" ? runScoreCase(file, c) : runFilterCase(file, c)));
    }
    (file.brokenLinearFunctionCases ?? []).forEach((b, i) => {
      it(`broken linear function shape ${i}`, () => {
        const f = buildBrokenLinearFunction(b.points);
        for (const [p, want] of b.assertions) expect([p, f(p)]).toEqual([p, want]);
      });
    });
    for (const n of file.normalizedImageNameCases ?? []) {
      it(`normalizedImageName: ${n.name}`, () => {
        const want = n.output.includes("<same>") ? n.input : n.output;
        expect(normalizedImageName(n.input)).toBe(want);
      });
    }
  });
}

describe("fixture coverage", () => {
  it("loads every scheduler fixture file", () => {
    expect(files.length).toBeGreaterThanOrEqual(10);
  });
});
