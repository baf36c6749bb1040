import { mkdtemp, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createFolderSource } from "./folder-source.ts";
import type { SourceEvent, SourceProblem } from "./source.ts";

const svc = (name: string, port: number) =>
  `kind: Service\nmetadata: {name: ${name}, namespace: ns}\nspec: {clusterIP: 10.96.0.1, ports: [{port: ${port}}]}\n`;

describe("folder source", () => {
  let dir = "";
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("delivers adds, updates and deletes, and survives a broken file", async () => {
    dir = await mkdtemp(join(tmpdir(), "kite-folder-"));
    await writeFile(join(dir, "a.yaml"), `${svc("a", 80)}---\n${svc("b", 81)}`);
    await writeFile(join(dir, "ignored.txt"), "not yaml at all: [");
    const events: SourceEvent[][] = [];
    const problems: SourceProblem[] = [];
    const src = createFolderSource({ dir, rescanIntervalMs: 0 });
    await src.start({ events: (e) => events.push(e), problem: (p) => problems.push(p) });
    try {
      expect(events).toHaveLength(1);
      expect(events[0]!.map((e) => `${e.op} ${e.object.metadata.name}`)).toEqual(["add a", "add b"]);

      await writeFile(join(dir, "a.yaml"), `${svc("a", 90)}`);
      await src.resync!();
      expect(events[1]!.map((e) => `${e.op} ${e.object.metadata.name}`).sort()).toEqual([
        "delete b",
        "update a",
      ]);

      // a syntax error keeps the file's last good objects
      await writeFile(join(dir, "a.yaml"), "kind: Service\nmetadata: {name: [\n");
      await src.resync!();
      expect(events).toHaveLength(2);
      expect(problems.some((p) => p.origin.endsWith("a.yaml"))).toBe(true);

      // a bad field in a known object keeps its last good version; a new good file still works
      await writeFile(join(dir, "a.yaml"), svc("a", 70000));
      await writeFile(
        join(dir, "c.json"),
        JSON.stringify({ kind: "Service", metadata: { name: "c" }, spec: {} }),
      );
      await src.resync!();
      expect(events[2]!.map((e) => `${e.op} ${e.object.metadata.name}`)).toEqual(["add c"]);
      expect(problems.at(-1)).toMatchObject({ field: "[0].spec.ports[0].port" });

      await unlink(join(dir, "a.yaml"));
      await src.resync!();
      expect(events[3]!.map((e) => `${e.op} ${e.object.metadata.name}`)).toEqual(["delete a"]);
    } finally {
      await src.stop();
    }
  });

  it("notices changes through fs.watch", async () => {
    dir = await mkdtemp(join(tmpdir(), "kite-folder-"));
    const events: SourceEvent[] = [];
    const src = createFolderSource({ dir, rescanIntervalMs: 200, debounceMs: 10 });
    await src.start({ events: (e) => events.push(...e) });
    try {
      await writeFile(join(dir, "x.yaml"), svc("x", 1));
      for (let i = 0; i < 100 && events.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(events.map((e) => e.op)).toEqual(["add"]);
    } finally {
      await src.stop();
    }
  });

  it("rejects a missing folder naming the flag", async () => {
    const src = createFolderSource({ dir: "/nonexistent/kite" });
    await expect(src.start({ events: () => {} })).rejects.toThrow(/--objects-dir/);
  });
});
