/**
 * Loads the shared upstream fixtures from ../shared/fixtures (beside the repository).
 * Works under Node and Deno; KITE_FIXTURES overrides the folder.
 */
interface DenoFs {
  readTextFile(path: string): Promise<string>;
  readDir(path: string): AsyncIterable<{ name: string; isFile: boolean }>;
  env: { get(name: string): string | undefined };
}
const deno = (globalThis as { Deno?: DenoFs }).Deno;

export interface FixtureFile {
  /** Path relative to the fixtures folder, e.g. `scheduler/nodeaffinity_filter.json`. */
  name: string;
  data: unknown;
}

export function fixturesRoot(): string {
  const override = deno ? deno.env.get("KITE_FIXTURES") : globalThis.process?.env.KITE_FIXTURES;
  if (override) return override;
  return new URL("../../shared/fixtures/", import.meta.url).pathname;
}

async function readText(path: string): Promise<string> {
  if (deno) return deno.readTextFile(path);
  const fs = await import("node:fs/promises");
  return fs.readFile(path, "utf8");
}

async function listJson(dir: string): Promise<string[]> {
  if (deno) {
    const names: string[] = [];
    for await (const entry of deno.readDir(dir))
      if (entry.isFile && entry.name.endsWith(".json")) names.push(entry.name);
    return names.sort();
  }
  const fs = await import("node:fs/promises");
  return (await fs.readdir(dir)).filter((n) => n.endsWith(".json")).sort();
}

/** Reads one fixture file, e.g. `loadFixture("scheduler/nodeaffinity_filter.json")`. */
export async function loadFixture<T = unknown>(name: string): Promise<T> {
  return JSON.parse(await readText(fixturesRoot() + name)) as T;
}

/** Every JSON fixture in one area (`scheduler`, `proxy`, `kubelet`), or in all of them. */
export async function loadFixtureFiles(area?: string): Promise<FixtureFile[]> {
  const areas = area ? [area] : ["scheduler", "proxy", "kubelet"];
  const out: FixtureFile[] = [];
  for (const a of areas) {
    for (const name of await listJson(`${fixturesRoot()}${a}/`)) {
      out.push({ name: `${a}/${name}`, data: await loadFixture(`${a}/${name}`) });
    }
  }
  return out;
}
