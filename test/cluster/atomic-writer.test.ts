import { lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writeVolumeAtomically } from "../../adapters/apiserver/atomic-writer.ts";

describe("ConfigMap/Secret volume writer (AtomicWriter layout)", () => {
  const dir = mkdtempSync(join(tmpdir(), "kite-atomic-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (path: string, text: string, mode = 0o644) => ({ path, data: Buffer.from(text), mode });

  it("writes through ..data, swaps payloads atomically and cleans up", () => {
    const t = new Date("2026-11-24T12:00:00Z");
    expect(writeVolumeAtomically(dir, [file("a.conf", "1"), file("sub/b", "2", 0o600)], t)).toBe(true);
    expect(readlinkSync(join(dir, "a.conf"))).toBe("..data/a.conf");
    expect(readFileSync(join(dir, "a.conf"), "utf8")).toBe("1");
    expect(readFileSync(join(dir, "sub/b"), "utf8")).toBe("2");
    expect(statSync(join(dir, "sub/b")).mode & 0o777).toBe(0o600);
    expect(readlinkSync(join(dir, "..data"))).toMatch(/^\.\.2026_11_24_12_00_00\.\d+$/);
    expect(writeVolumeAtomically(dir, [file("a.conf", "1"), file("sub/b", "2", 0o600)], t)).toBe(false);
    expect(writeVolumeAtomically(dir, [file("a.conf", "changed")], new Date("2026-11-24T12:01:00Z"))).toBe(
      true,
    );
    expect(readFileSync(join(dir, "a.conf"), "utf8")).toBe("changed");
    expect(() => lstatSync(join(dir, "sub"))).toThrow();
    const hidden = readdirSync(dir).filter((e) => e.startsWith(".."));
    expect(hidden).toHaveLength(2); // ..data and the one payload
  });

  it("refuses paths that escape the volume", () => {
    expect(() => writeVolumeAtomically(dir, [file("../x", "no")])).toThrow(/must be relative/);
    expect(() => writeVolumeAtomically(dir, [file("..data", "no")])).toThrow(/must be relative/);
  });
});
