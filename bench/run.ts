/**
 * `npm run bench` runs every benchmark; `npm run bench -- <name> [...]` runs the named ones.
 * Each writes bench/results/<name>.json with the machine, the Node version and its results.
 */
import { readdirSync, writeFileSync } from "node:fs";
import { type Benchmark, machineInfo } from "./harness.ts";

const dir = new URL(".", import.meta.url).pathname;
const available = readdirSync(dir)
  .filter((f) => f.endsWith(".bench.ts"))
  .map((f) => f.replace(/\.bench\.ts$/, ""))
  .sort();
const wanted = process.argv.slice(2).filter((a) => !a.startsWith("-"));
const unknown = wanted.filter((w) => !available.includes(w));
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(", ")}; available: ${available.join(", ") || "none"}`);
  process.exit(2);
}
for (const name of wanted.length > 0 ? wanted : available) {
  const mod = (await import(`./${name}.bench.ts`)) as { benchmark: Benchmark };
  const started = new Date();
  console.log(`# ${name}: ${mod.benchmark.description}`);
  const results = await mod.benchmark.run((line) => console.log(`  ${line}`));
  const report = { name, startedAt: started.toISOString(), machine: machineInfo(), results };
  writeFileSync(`${dir}results/${name}.json`, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`# ${name}: wrote bench/results/${name}.json`);
}
