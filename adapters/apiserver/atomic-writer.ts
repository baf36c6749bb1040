/**
 * Writes a ConfigMap/Secret volume the way the kubelet's AtomicWriter does, so readers never see a mix of
 * old and new files: the payload goes into a fresh `..<timestamp>` directory, `..data` is switched to it
 * with one rename, and each top-level entry is a symlink through `..data`. Old payloads are removed.
 */
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { KiteError } from "../../core/errors/mod.ts";
import type { VolumeFile } from "./volume-source.ts";

const dataLink = "..data";

function stampDir(now: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  const ns = `${p(now.getUTCMilliseconds(), 3)}${String(process.hrtime.bigint() % 1000000n).padStart(6, "0")}`;
  return `..${now.getUTCFullYear()}_${p(now.getUTCMonth() + 1)}_${p(now.getUTCDate())}_${p(now.getUTCHours())}_${p(now.getUTCMinutes())}_${p(now.getUTCSeconds())}.${ns}`;
}

/** Writes `files` into `dir`; returns false when the content was already there. */
export function writeVolumeAtomically(
  dir: string,
  files: readonly VolumeFile[],
  now: Date = new Date(),
): boolean {
  for (const f of files) {
    if (
      f.path === "" ||
      f.path.startsWith("/") ||
      f.path.split("/").some((s) => s === ".." || s.startsWith(".."))
    ) {
      throw new KiteError(
        "invalid_argument",
        `volume path ${JSON.stringify(f.path)} must be relative and not start with '..'`,
        { field: "items.path" },
      );
    }
  }
  mkdirSync(dir, { recursive: true });
  const current = existsSync(join(dir, dataLink)) ? readlinkSync(join(dir, dataLink)) : undefined;
  if (current && sameContent(join(dir, current), files)) return false;
  const payload = stampDir(now);
  for (const f of files) {
    const target = join(dir, payload, f.path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, f.data);
    chmodSync(target, f.mode);
  }
  mkdirSync(join(dir, payload), { recursive: true });
  const tmpLink = join(dir, "..data_tmp");
  if (existsSync(tmpLink) || isLink(tmpLink)) unlinkSync(tmpLink);
  symlinkSync(payload, tmpLink);
  renameSync(tmpLink, join(dir, dataLink));
  const top = new Set(files.map((f) => f.path.split("/")[0] ?? ""));
  for (const name of top) {
    const link = join(dir, name);
    if (!isLink(link)) symlinkSync(join(dataLink, name), link);
  }
  for (const entry of readdirSync(dir)) {
    if (entry === dataLink || entry === payload) continue;
    if (entry.startsWith("..")) rmSync(join(dir, entry), { recursive: true, force: true });
    else if (!top.has(entry) && isLink(join(dir, entry))) unlinkSync(join(dir, entry));
  }
  return true;
}

function isLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

function sameContent(payloadDir: string, files: readonly VolumeFile[]): boolean {
  try {
    const count = (d: string): number =>
      readdirSync(d, { withFileTypes: true }).reduce(
        (n, e) => n + (e.isDirectory() ? count(join(d, e.name)) : 1),
        0,
      );
    if (count(payloadDir) !== files.length) return false;
    for (const f of files) {
      const p = join(payloadDir, f.path);
      const st = lstatSync(p);
      if ((st.mode & 0o777) !== f.mode) return false;
      if (!readFileSync(p).equals(f.data)) return false;
    }
    return true;
  } catch {
    return false;
  }
}
