import fc from "fast-check";
import { loadFixtureFiles } from "../../test/fixtures.ts";
import { describe, expect, it } from "../../test/harness.ts";
import { KiteError } from "../errors/mod.ts";
import {
  addQuantity,
  canonicalQuantity,
  compareQuantity,
  formatQuantity,
  parseQuantity,
  quantityMilliValue,
  quantityValue,
  subtractQuantity,
} from "./mod.ts";

describe("parseQuantity", () => {
  // Canonical forms as apimachinery's Quantity.String prints them.
  const canonical: [string, string][] = [
    ["0", "0"],
    ["100Mi", "100Mi"],
    ["1.5Gi", "1536Mi"],
    ["250m", "250m"],
    ["1e3", "1e3"],
    ["1E3", "1e3"],
    ["1.5e3", "1500"],
    ["0.1", "100m"],
    ["5n", "5n"],
    ["2Ei", "2Ei"],
    ["1000", "1k"],
    ["1024", "1024"],
    ["1Ki", "1Ki"],
    ["0.5Ki", "512"],
    ["1023Ki", "1023Ki"],
    ["1E", "1E"],
    ["1e-20", "1e-9"],
    ["1.5n", "2n"],
    ["-1.5", "-1500m"],
    ["-1.5n", "-2n"],
    ["+5", "5"],
    ["007", "7"],
    [".5", "500m"],
    ["1.", "1"],
    ["12345678901234567890", "9223372036854775807"],
    ["10G", "10G"],
    ["0.5G", "500M"],
    ["1000m", "1"],
    ["1100m", "1100m"],
    ["1e+3", "1e3"],
    ["100e-3", "100e-3"],
    ["1Mi", "1Mi"],
    ["1048576", "1048576"],
  ];
  it.each(canonical.map(([input, want]) => ({ name: input, input, want })))("canonical form of %s", (c) => {
    expect(canonicalQuantity(c.input)).toBe(c.want);
  });

  it("rounds Value and MilliValue up, away from zero", () => {
    expect(quantityValue(parseQuantity("250m"))).toBe(1);
    expect(quantityMilliValue(parseQuantity("250m"))).toBe(250);
    expect(quantityMilliValue(parseQuantity("5n"))).toBe(1);
    expect(quantityValue(parseQuantity("-1.5"))).toBe(-2);
    expect(quantityValue(parseQuantity("1.5Gi"))).toBe(1610612736);
    expect(quantityValue(parseQuantity("100Mi"))).toBe(104857600);
  });

  it("accepts YAML numbers", () => {
    expect(canonicalQuantity(1)).toBe("1");
    expect(canonicalQuantity(0.5)).toBe("500m");
    expect(canonicalQuantity(1e21)).toBe("1e21");
  });

  const bad = [
    "",
    "abc",
    "1 Gi",
    " 1",
    "1K",
    "1e",
    "1.1.1",
    "-",
    ".",
    "1Mi5",
    "1ee3",
    "Gi",
    "1e1001",
    "1m3",
    "0x10",
  ];
  it.each(bad.map((input) => ({ name: JSON.stringify(input), input })))(
    "rejects %s naming the input",
    (c) => {
      let caught: unknown;
      try {
        parseQuantity(c.input, "spec.containers[0].resources.limits.cpu");
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(KiteError);
      const err = caught as KiteError;
      expect(err.code).toBe("invalid_argument");
      expect(err.field).toBe("spec.containers[0].resources.limits.cpu");
      expect(err.message).toContain(JSON.stringify(c.input));
    },
  );
});

describe("quantity arithmetic", () => {
  it("adds and subtracts exactly", () => {
    const sum = addQuantity(parseQuantity("1.5Gi"), parseQuantity("512Mi"));
    expect(formatQuantity(sum)).toBe("2Gi");
    expect(formatQuantity(subtractQuantity(parseQuantity("1"), parseQuantity("250m")))).toBe("750m");
    expect(formatQuantity(addQuantity(parseQuantity("0"), parseQuantity("1Ki")))).toBe("1Ki");
  });
  it("compares by value across formats", () => {
    expect(compareQuantity(parseQuantity("1Ki"), parseQuantity("1024"))).toBe(0);
    expect(compareQuantity(parseQuantity("1k"), parseQuantity("1Ki"))).toBe(-1);
    expect(compareQuantity(parseQuantity("1G"), parseQuantity("953Mi"))).toBe(1);
  });
});

describe("quantity properties", () => {
  const suffix = fc.constantFrom(
    "",
    "n",
    "u",
    "m",
    "k",
    "M",
    "G",
    "T",
    "Ki",
    "Mi",
    "Gi",
    "Ti",
    "e3",
    "e-3",
    "E6",
  );
  const quantityString = fc
    .tuple(
      fc.boolean(),
      fc.nat({ max: 1_000_000 }),
      fc.option(fc.nat({ max: 999_999 }), { nil: undefined }),
      suffix,
    )
    .map(
      ([neg, whole, frac, sfx]) => `${neg ? "-" : ""}${whole}${frac === undefined ? "" : `.${frac}`}${sfx}`,
    );

  it("canonical form round-trips: parse(format(q)) has the same value and the same form", () => {
    fc.assert(
      fc.property(quantityString, (s) => {
        const q = parseQuantity(s);
        const text = formatQuantity(q);
        const again = parseQuantity(text);
        expect(compareQuantity(again, q)).toBe(0);
        expect(formatQuantity(again)).toBe(text);
      }),
      { numRuns: 2000 },
    );
  });

  it("a+b-b == a", () => {
    fc.assert(
      fc.property(quantityString, quantityString, (a, b) => {
        const qa = parseQuantity(a);
        const qb = parseQuantity(b);
        expect(compareQuantity(subtractQuantity(addQuantity(qa, qb), qb), qa)).toBe(0);
      }),
    );
  });

  it("never throws anything but a KiteError on arbitrary strings", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 24 }), (s) => {
        try {
          const q = parseQuantity(s);
          expect(typeof formatQuantity(q)).toBe("string");
        } catch (e) {
          expect(e).toBeInstanceOf(KiteError);
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe("every quantity in ../shared/fixtures parses", () => {
  const resourceKeys = new Set(["requests", "limits", "capacity", "allocatable", "overhead"]);
  it("agrees on each one", async () => {
    const seen = new Set<string>();
    const walk = (node: unknown, parentKey: string | undefined): void => {
      if (Array.isArray(node)) {
        for (const x of node) walk(x, parentKey);
      } else if (node !== null && typeof node === "object") {
        for (const [k, v] of Object.entries(node)) {
          if (parentKey && resourceKeys.has(parentKey) && (typeof v === "string" || typeof v === "number")) {
            seen.add(String(v));
          }
          walk(v, k);
        }
      }
    };
    for (const file of await loadFixtureFiles()) walk(file.data, undefined);
    expect(seen.size).toBeGreaterThan(20);
    for (const s of seen) {
      const q = parseQuantity(s);
      expect(compareQuantity(parseQuantity(formatQuantity(q)), q)).toBe(0);
    }
  });
});
