import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { build } from "esbuild";

/** Bundles `kite node` alone (adapters/node/main.ts) into a temp folder, as dist/kite.mjs is built. */
export async function buildNodeBundle(): Promise<string> {
  const dir = join(tmpdir(), "kite-node-bundle");
  mkdirSync(dir, { recursive: true });
  const outfile = join(dir, "kite-node.mjs");
  await build({
    entryPoints: [resolve(import.meta.dirname, "../../adapters/node/main.ts")],
    outfile,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    banner: {
      js: "import { createRequire as __kiteCreateRequire } from 'node:module'; const require = __kiteCreateRequire(import.meta.url);",
    },
    logLevel: "warning",
  });
  return outfile;
}
