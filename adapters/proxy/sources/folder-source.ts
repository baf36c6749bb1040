/**
 * A folder of YAML/JSON files (`--objects-dir`) as the proxy's object source. Files are read at
 * start, re-read when fs.watch reports a change (debounced) and on a periodic rescan (watchers miss
 * events on some filesystems). Objects are diffed against what was delivered before, so the proxy
 * sees ordinary add/update/delete events. A file that cannot be parsed keeps its last good
 * content; a bad document is reported (file + field) and, if it was known before, keeps its last
 * good version.
 */
import { type FSWatcher, watch } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { KiteError } from "../../../core/errors/mod.ts";
import { objectKey, type ProxyObject, parseObjects } from "./parse-objects.ts";
import type { ObjectSource, SourceEvent, SourceHandlers } from "./source.ts";

export interface FolderSourceOptions {
  dir: string;
  /** Periodic rescan, ms (default 5000; 0 disables). */
  rescanIntervalMs?: number;
  /** Debounce for fs.watch events, ms (default 50). */
  debounceMs?: number;
}

interface FileState {
  mtimeMs: number;
  size: number;
  text: string;
  objects: Map<string, ProxyObject>;
}

const isObjectFile = (name: string) => !name.startsWith(".") && /\.(ya?ml|json)$/i.test(name);

function keyOf(o: ProxyObject): string {
  return objectKey(o.kind, o.object.metadata.namespace, o.object.metadata.name ?? "");
}

const kindOrder: Record<string, number> = { Node: 0, Service: 1, EndpointSlice: 2 };

export function createFolderSource(options: FolderSourceOptions): ObjectSource {
  const { dir } = options;
  const files = new Map<string, FileState>();
  /** What has been delivered: key → [serialized, object]. */
  let delivered = new Map<string, { json: string; obj: ProxyObject }>();
  let handlers: SourceHandlers | undefined;
  let watcher: FSWatcher | undefined;
  let interval: ReturnType<typeof setInterval> | undefined;
  let debounce: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<void> = Promise.resolve();
  let stopped = false;

  async function readFileState(
    name: string,
    previous: FileState | undefined,
  ): Promise<FileState | undefined> {
    const path = join(dir, name);
    let st: Awaited<ReturnType<typeof stat>>;
    try {
      st = await stat(path);
    } catch {
      return undefined;
    }
    if (!st.isFile()) return undefined;
    // Same stamp and size, and old enough that a same-size rewrite within the clock tick is ruled out.
    if (
      previous &&
      previous.mtimeMs === st.mtimeMs &&
      previous.size === st.size &&
      Date.now() - st.mtimeMs > 2000
    ) {
      return previous;
    }
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch {
      return previous;
    }
    if (previous && previous.text === text) return { ...previous, mtimeMs: st.mtimeMs, size: st.size };
    const parsed = parseObjects(text, path);
    for (const p of parsed.problems) handlers?.problem?.(p);
    if (parsed.syntaxError) {
      // Keep the last good content; remember the new stamp so the same broken text is reported once.
      return { mtimeMs: st.mtimeMs, size: st.size, text, objects: previous?.objects ?? new Map() };
    }
    const objects = new Map<string, ProxyObject>();
    for (const o of parsed.objects) objects.set(keyOf(o), o);
    for (const k of parsed.rejectedKeys) {
      const old = previous?.objects.get(k);
      if (old && !objects.has(k)) objects.set(k, old);
    }
    return { mtimeMs: st.mtimeMs, size: st.size, text, objects };
  }

  async function scan(): Promise<void> {
    let names: string[];
    try {
      names = (await readdir(dir)).filter(isObjectFile).sort();
    } catch (e) {
      handlers?.problem?.({ origin: dir, field: "", message: `cannot read folder: ${(e as Error).message}` });
      return;
    }
    const seen = new Set(names);
    for (const name of [...files.keys()]) if (!seen.has(name)) files.delete(name);
    for (const name of names) {
      const next = await readFileState(name, files.get(name));
      if (next) files.set(name, next);
      else files.delete(name);
    }
    const merged = new Map<string, { json: string; obj: ProxyObject }>();
    const owner = new Map<string, string>();
    for (const [name, fs] of files) {
      for (const [k, o] of fs.objects) {
        const prev = owner.get(k);
        if (prev !== undefined) {
          handlers?.problem?.({
            origin: join(dir, name),
            field: k,
            message: `also defined in ${join(dir, prev)}; the definition in ${name} wins`,
          });
        }
        owner.set(k, name);
        merged.set(k, { json: JSON.stringify(o.object), obj: o });
      }
    }
    const events: SourceEvent[] = [];
    for (const [k, old] of delivered) {
      if (!merged.has(k)) events.push({ ...old.obj, op: "delete" } as SourceEvent);
    }
    for (const [k, cur] of merged) {
      const old = delivered.get(k);
      if (!old) events.push({ ...cur.obj, op: "add" } as SourceEvent);
      else if (old.json !== cur.json) events.push({ ...cur.obj, op: "update" } as SourceEvent);
    }
    delivered = merged;
    events.sort((a, b) => {
      // Deletions of slices before services, additions of services before slices.
      const ka = kindOrder[a.kind]! * (a.op === "delete" ? -1 : 1);
      const kb = kindOrder[b.kind]! * (b.op === "delete" ? -1 : 1);
      return ka - kb;
    });
    if (events.length > 0) handlers?.events(events);
  }

  function queueScan(): Promise<void> {
    running = running.then(() => (stopped ? undefined : scan())).catch(() => {});
    return running;
  }

  return {
    description: `folder ${dir}`,
    async start(h) {
      handlers = h;
      try {
        const st = await stat(dir);
        if (!st.isDirectory()) throw new Error("not a directory");
      } catch (e) {
        throw new KiteError("invalid_argument", `${dir}: ${(e as Error).message}`, {
          field: "--objects-dir",
        });
      }
      await queueScan();
      try {
        watcher = watch(dir, () => {
          if (debounce) clearTimeout(debounce);
          debounce = setTimeout(() => void queueScan(), options.debounceMs ?? 50);
        });
        watcher.on("error", () => {});
      } catch {
        // fs.watch unsupported: the periodic rescan still works
      }
      const every = options.rescanIntervalMs ?? 5000;
      if (every > 0) interval = setInterval(() => void queueScan(), every);
    },
    resync: () => queueScan(),
    async stop() {
      stopped = true;
      watcher?.close();
      if (interval) clearInterval(interval);
      if (debounce) clearTimeout(debounce);
      await running;
    },
  };
}
