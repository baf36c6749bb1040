// Bundles the `kite` command into one file, dist/kite.mjs.

import { chmodSync } from "node:fs";
import { build } from "esbuild";

const outfile = new URL("../dist/kite.mjs", import.meta.url).pathname;
await build({
  entryPoints: [new URL("../adapters/cli/main.ts", import.meta.url).pathname],
  outfile,
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  sourcemap: "linked",
  // Bundled CommonJS dependencies still call require() for Node built-ins.
  banner: {
    js: "import { createRequire as __kiteCreateRequire } from 'node:module'; const require = __kiteCreateRequire(import.meta.url);",
  },
  logLevel: "warning",
});
chmodSync(outfile, 0o755);
console.log("built dist/kite.mjs");
