// `npm test`: build, type check, lint, vitest (everything), then the core suites under Deno.
// Ends with one plain line "tests: N passed, N failed, N skipped" summing vitest and Deno.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";

const root = new URL("..", import.meta.url).pathname;
const tmp = `${root}.tmp`;
mkdirSync(tmp, { recursive: true });
const totals = { passed: 0, failed: 0, skipped: 0 };
let ok = true;

function step(title, cmd, args, { capture = false } = {}) {
  console.log(`\n== ${title}: ${cmd} ${args.join(" ")}`);
  const started = Date.now();
  const res = spawnSync(cmd, args, {
    cwd: root,
    stdio: capture ? ["ignore", "pipe", "inherit"] : "inherit",
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
  if (capture && res.stdout) process.stdout.write(res.stdout);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    `== ${title}: ${res.status === 0 ? "ok" : `FAILED (exit ${res.status ?? res.signal})`} in ${seconds}s`,
  );
  if (res.status !== 0) ok = false;
  return res;
}

const npx = "npx";
step("build", "npm", ["run", "--silent", "build"]);
step("typecheck", npx, ["tsc", "-p", "tsconfig.json", "--noEmit"]);
step("typecheck core alone (no Node types)", npx, ["tsc", "-p", "tsconfig.core.json", "--noEmit"]);
step("wasm up to date", "node", ["scripts/build-wasm.mjs", "--check"]);
step("lint", npx, ["biome", "check", "."]);

const vitestJson = `${tmp}/vitest.json`;
rmSync(vitestJson, { force: true });
step("vitest", npx, [
  "vitest",
  "run",
  "--reporter=default",
  "--reporter=json",
  `--outputFile.json=${vitestJson}`,
]);
try {
  const report = JSON.parse(readFileSync(vitestJson, "utf8"));
  totals.passed += report.numPassedTests;
  totals.failed += report.numFailedTests;
  totals.skipped += report.numPendingTests + (report.numTodoTests ?? 0);
} catch {
  ok = false;
  console.log("vitest wrote no report");
}

const deno = step(
  "deno (core suites)",
  npx,
  ["deno", "test", "--allow-read", "--allow-env", "--no-prompt", "core/"],
  { capture: true },
);
const m = /(\d+) passed(?: \((\d+) steps?\))? \| (\d+) failed(?: \| (\d+) ignored)?/.exec(
  (deno.stdout ?? "").replace(/\x1b\[[0-9;]*m/g, ""),
);
if (m) {
  totals.passed += Number(m[1]);
  totals.failed += Number(m[3]);
  totals.skipped += Number(m[4] ?? 0);
} else {
  ok = false;
  console.log("deno printed no summary");
}

console.log(`\ntests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(ok && totals.failed === 0 ? 0 : 1);
