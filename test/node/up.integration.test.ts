/** `kite up` end to end: private containerd in its own namespace, the example pods, the table, the clean-up. */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { skipReason } from "./node-env.ts";

const skip = skipReason();
if (skip) console.warn(`skipping kite up test: ${skip}`);
const repo = resolve(import.meta.dirname, "../..");

describe.skipIf(!!skip)("kite up", () => {
  it("runs the example pods, shows them in the table, and removes everything on exit", async () => {
    const parent = mkdtempSync("/tmp/kup-");
    const dir = join(parent, "up");
    const netns = `kite-up-test-${process.pid}`;
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        join(repo, "adapters/cli/main.ts"),
        "up",
        "--for",
        "25s",
        "--dir",
        dir,
        "--netns",
        netns,
      ],
      { cwd: repo, stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      err += d;
    });
    const code = await new Promise<number | null>((r) => child.on("exit", r));
    try {
      expect(code, err).toBe(0);
      const tables = out.split(/\n(?=\d{4}-\d\d-\d\dT)/);
      const last = tables[tables.length - 1] ?? "";
      expect(last).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP$/m);
      expect(last).toMatch(/^web-\S+\s+1\/1\s+Running\s+0\s/m);
      expect(last).toMatch(/^with-init-\S+\s+1\/1\s+Running\s+0\s/m);
      expect(last).toMatch(/^crash-\S+\s+[01]\/1\s+(CrashLoopBackOff|Running|Error)\s+[1-9]/m);
      expect(err).toContain("removed");
      expect(existsSync(dir)).toBe(false);
      expect(execFileSync("ip", ["netns", "list"], { encoding: "utf8" })).not.toContain(netns);
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  }, 120_000);
});
