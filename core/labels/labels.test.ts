import fc from "fast-check";
import { describe, expect, it } from "../../test/harness.ts";
import type { LabelSelector } from "../api/mod.ts";
import { KiteError } from "../errors/mod.ts";
import { compileNodeSelector, compileNodeSelectorStrict, labelSelector, selectorFromSet } from "./mod.ts";

const node = (name: string, labels: Record<string, string>) => ({ metadata: { name, labels } });

describe("labelSelector", () => {
  it("null matches nothing, empty matches everything", () => {
    expect(labelSelector(null).matches({ a: "b" })).toBe(false);
    expect(labelSelector(undefined).matches({})).toBe(false);
    expect(labelSelector({}).matches({})).toBe(true);
    expect(labelSelector({ matchLabels: {}, matchExpressions: [] }).matches({ x: "y" })).toBe(true);
  });
  it("ANDs matchLabels and every operator", () => {
    const s = labelSelector({
      matchLabels: { app: "web" },
      matchExpressions: [
        { key: "tier", operator: "In", values: ["a", "b"] },
        { key: "env", operator: "NotIn", values: ["prod"] },
        { key: "team", operator: "Exists" },
        { key: "legacy", operator: "DoesNotExist" },
      ],
    });
    expect(s.matches({ app: "web", tier: "a", team: "x" })).toBe(true);
    expect(s.matches({ app: "web", tier: "a", team: "x", env: "dev" })).toBe(true);
    expect(s.matches({ app: "web", tier: "a", team: "x", env: "prod" })).toBe(false);
    expect(s.matches({ app: "web", tier: "c", team: "x" })).toBe(false);
    expect(s.matches({ app: "web", tier: "a" })).toBe(false);
    expect(s.matches({ app: "web", tier: "a", team: "x", legacy: "" })).toBe(false);
    expect(s.matches(undefined)).toBe(false);
  });
  it("rejects bad operators and values, naming the field", () => {
    const cases = [
      {
        sel: { matchExpressions: [{ key: "a", operator: "Foo" }] },
        field: "selector.matchExpressions[0].operator",
      },
      {
        sel: { matchExpressions: [{ key: "a", operator: "In" }] },
        field: "selector.matchExpressions[0].values",
      },
      {
        sel: { matchExpressions: [{ key: "a", operator: "Exists", values: ["x"] }] },
        field: "selector.matchExpressions[0].values",
      },
      {
        sel: { matchExpressions: [{ key: "a", operator: "Gt", values: ["1"] }] },
        field: "selector.matchExpressions[0].operator",
      },
      { sel: { matchLabels: { "bad key!": "x" } }, field: "selector.matchLabels[bad key!].key" },
      { sel: { matchLabels: { a: "bad value" } }, field: "selector.matchLabels[a].values[0]" },
    ];
    for (const c of cases) {
      let err: unknown;
      try {
        labelSelector(c.sel as LabelSelector);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(KiteError);
      expect((err as KiteError).field).toBe(c.field);
    }
  });
  it("selectorFromSet: empty set matches everything", () => {
    expect(selectorFromSet({}).matches(undefined)).toBe(true);
    expect(selectorFromSet({ a: "b" }).matches({ a: "b", c: "d" })).toBe(true);
    expect(selectorFromSet({ a: "b" }).matches({ a: "c" })).toBe(false);
  });
  it("never throws anything but KiteError on arbitrary requirements", () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 10 }),
        fc.constantFrom("In", "NotIn", "Exists", "DoesNotExist", "Gt", "", "in"),
        fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }),
        fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 })),
        (key, operator, values, labels) => {
          try {
            const s = labelSelector({ matchExpressions: [{ key, operator, values }] });
            expect(typeof s.matches(labels)).toBe("boolean");
          } catch (e) {
            expect(e).toBeInstanceOf(KiteError);
          }
        },
      ),
    );
  });
});

describe("node selectors", () => {
  it("ORs terms and ANDs requirements within a term", () => {
    const sel = compileNodeSelector({
      nodeSelectorTerms: [
        {
          matchExpressions: [
            { key: "zone", operator: "In", values: ["a"] },
            { key: "gpu", operator: "Exists" },
          ],
        },
        { matchFields: [{ key: "metadata.name", operator: "In", values: ["n3"] }] },
      ],
    });
    expect(sel.matches(node("n1", { zone: "a", gpu: "1" }))).toBe(true);
    expect(sel.matches(node("n2", { zone: "a" }))).toBe(false);
    expect(sel.matches(node("n3", {}))).toBe(true);
  });
  it("Gt and Lt compare integers; missing or non-numeric labels never match", () => {
    const sel = compileNodeSelector({
      nodeSelectorTerms: [{ matchExpressions: [{ key: "cores", operator: "Gt", values: ["4"] }] }],
    });
    expect(sel.matches(node("a", { cores: "8" }))).toBe(true);
    expect(sel.matches(node("a", { cores: "4" }))).toBe(false);
    expect(sel.matches(node("a", { cores: "x" }))).toBe(false);
    expect(sel.matches(node("a", {}))).toBe(false);
    const lt = compileNodeSelector({
      nodeSelectorTerms: [{ matchExpressions: [{ key: "cores", operator: "Lt", values: ["4"] }] }],
    });
    expect(lt.matches(node("a", { cores: "-1" }))).toBe(true);
  });
  it("an empty term or an empty term list matches nothing", () => {
    expect(compileNodeSelector({ nodeSelectorTerms: [] }).matches(node("a", {}))).toBe(false);
    expect(compileNodeSelector({ nodeSelectorTerms: [{}] }).matches(node("a", {}))).toBe(false);
  });
  it("drops an invalid term but keeps the valid ones; strict mode reports it", () => {
    const selector = {
      nodeSelectorTerms: [
        { matchExpressions: [{ key: "a", operator: "Gt", values: ["x"] }] },
        { matchExpressions: [{ key: "b", operator: "Exists" }] },
      ],
    };
    const sel = compileNodeSelector(selector);
    expect(sel.errors).toHaveLength(1);
    expect(sel.matches(node("n", { b: "" }))).toBe(true);
    expect(() => compileNodeSelectorStrict(selector)).toThrow(
      /nodeSelectorTerms\[0\]\.matchExpressions\[0\]\.values\[0\]/,
    );
    const badField = compileNodeSelector({
      nodeSelectorTerms: [{ matchFields: [{ key: "metadata.uid", operator: "In", values: ["x"] }] }],
    });
    expect(badField.errors[0]?.field).toBe("nodeSelector.nodeSelectorTerms[0].matchFields[0].key");
  });
});
