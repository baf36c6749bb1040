/** Reads the objects for `kite proxy render|plan -f <file|dir|->`. */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Node } from "../../core/api/mod.ts";
import { KiteError } from "../../core/errors/mod.ts";
import { parseObjects } from "./sources/parse-objects.ts";
import type { SourceProblem } from "./sources/source.ts";

export interface ReadObjects {
  objects: unknown[];
  nodes: Node[];
  problems: SourceProblem[];
}

export function readObjectFiles(
  paths: string[],
  stdin: () => string = () => readFileSync(0, "utf8"),
): ReadObjects {
  if (paths.length === 0)
    throw new KiteError("invalid_argument", "give the objects with -f FILE (or a folder, or -)", {
      field: "-f",
    });
  const out: ReadObjects = { objects: [], nodes: [], problems: [] };
  const files: { name: string; text: () => string }[] = [];
  for (const p of paths) {
    if (p === "-") {
      files.push({ name: "<stdin>", text: stdin });
      continue;
    }
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(p);
    } catch (e) {
      throw new KiteError("invalid_argument", `${p}: ${(e as Error).message}`, { field: "-f" });
    }
    if (st.isDirectory()) {
      for (const n of readdirSync(p)
        .filter((n) => !n.startsWith(".") && /\.(ya?ml|json)$/i.test(n))
        .sort()) {
        const path = join(p, n);
        files.push({ name: path, text: () => readFileSync(path, "utf8") });
      }
    } else {
      files.push({ name: p, text: () => readFileSync(p, "utf8") });
    }
  }
  for (const f of files) {
    const parsed = parseObjects(f.text(), f.name);
    out.problems.push(...parsed.problems);
    for (const o of parsed.objects) {
      if (o.kind === "Node") out.nodes.push(o.object);
      else out.objects.push(o.object);
    }
  }
  return out;
}
