/**
 * The test API for suites that must also run under Deno (every core suite).
 * Under vitest it is vitest itself; under `deno test` it maps describe/it onto
 * Deno.test and uses vitest's own standalone `expect`, so a suite reads the same
 * and asserts the same way on both runtimes.
 */
import type * as Vitest from "vitest";

type TestFn = () => unknown | Promise<unknown>;
interface DenoLike {
  test(def: {
    name: string;
    fn: TestFn;
    ignore?: boolean;
    sanitizeOps?: boolean;
    sanitizeResources?: boolean;
  }): void;
}

const deno = (globalThis as { Deno?: DenoLike }).Deno;

function denoHarness(denoRuntime: DenoLike) {
  const stack: string[] = [];
  const describe = (name: string, fn: () => void): void => {
    stack.push(name);
    try {
      fn();
    } finally {
      stack.pop();
    }
  };
  const it = (name: string, fn: TestFn, _timeout?: number): void => {
    denoRuntime.test({
      name: [...stack, name].join(" > "),
      fn,
      sanitizeOps: false,
      sanitizeResources: false,
    });
  };
  it.skip = (name: string, _fn: TestFn): void => {
    denoRuntime.test({ name: [...stack, name].join(" > "), fn: () => {}, ignore: true });
  };
  it.each =
    <T>(cases: readonly T[]) =>
    (name: string, fn: (c: T) => unknown): void => {
      cases.forEach((c, i) => {
        const label = typeof c === "object" && c !== null && "name" in c ? String(c.name) : String(i);
        it(name.replace("%s", label).replace("$name", label), () => fn(c));
      });
    };
  return { describe, it };
}

const harness = deno ? denoHarness(deno) : undefined;
const vitest: typeof Vitest = deno ? (undefined as never) : await import("vitest");

export const describe: (name: string, fn: () => void) => void = harness ? harness.describe : vitest.describe;
export const it: {
  (name: string, fn: TestFn, timeout?: number): void;
  skip(name: string, fn: TestFn): void;
  each<T>(cases: readonly T[]): (name: string, fn: (c: T) => unknown) => void;
} = harness ? harness.it : (vitest.it as never);
export const test = it;
export const expect: typeof Vitest.expect = deno ? (await import("./deno-expect.ts")).expect : vitest.expect;
