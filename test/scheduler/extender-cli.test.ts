/** `kite extender`: configuration errors name the field and exit 2 before anything listens. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { main } from "../../adapters/cli/main.ts";
import { decodeExtenderConfig } from "../../adapters/extender/config.ts";

const dir = mkdtempSync(join(tmpdir(), "kite-extender-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(args: string[]): Promise<{ code: number; err: string }> {
  let err = "";
  const e = vi.spyOn(process.stderr, "write").mockImplementation((s) => {
    err += String(s);
    return true;
  });
  try {
    return { code: await main(args), err };
  } finally {
    e.mockRestore();
  }
}

describe("kite extender", () => {
  it("rejects a bad profile naming the field", async () => {
    const file = join(dir, "bad.yaml");
    writeFileSync(
      file,
      "profile:\n  pluginConfig:\n    - name: NodeResourcesFit\n      args: {scoringStrategy: {resources: [{name: cpu, weight: 500}]}}\n",
    );
    const r = await run(["extender", "--config", file, "--listen", "127.0.0.1:0"]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${file}.profile.pluginConfig[0].args.scoringStrategy.resources[0].weight`);
  });

  it("refuses both an API server and a cache folder", async () => {
    const file = join(dir, "both.yaml");
    writeFileSync(file, "nodeCacheCapable: true\ncacheDir: cache\n");
    const r = await run([
      "extender",
      "--config",
      file,
      "--kubeconfig",
      "/nonexistent",
      "--listen",
      "127.0.0.1:0",
    ]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("kubeconfig: give either --kubeconfig or the config's cacheDir");
  });

  it("rejects a bad listen address and unknown flags", async () => {
    expect((await run(["extender", "--listen", "nowhere"])).err).toContain("listen");
    expect((await run(["extender", "--bogus"])).code).toBe(2);
  });

  it("defaults the verbs and normalises the prefix", () => {
    const c = decodeExtenderConfig({ urlPrefix: "scheduler/" });
    expect([c.urlPrefix, c.filterVerb, c.prioritizeVerb, c.preemptVerb, c.bindVerb]).toEqual([
      "/scheduler",
      "filter",
      "prioritize",
      "preempt",
      "bind",
    ]);
    expect(() => decodeExtenderConfig({ filterVerb: "a/b" })).toThrow(/filterVerb/);
    expect(() => decodeExtenderConfig({ maxBodyBytes: -1 })).toThrow(/maxBodyBytes/);
  });
});
