import { describe, expect, it } from "../test/harness.ts";
import * as core from "./mod.ts";

describe("core/mod.ts", () => {
  it("re-exports every area under its own name", () => {
    expect(typeof core.parseQuantity).toBe("function");
    expect(typeof core.labelSelector).toBe("function");
    expect(Object.keys(core.scheduler).length).toBeGreaterThan(0);
    expect(Object.keys(core.proxy).length).toBeGreaterThan(0);
    expect(Object.keys(core.kubelet).length).toBeGreaterThan(0);
    expect(new core.KiteError("invalid_argument", "bad", { field: "a.b" }).message).toBe("a.b: bad");
  });
});
