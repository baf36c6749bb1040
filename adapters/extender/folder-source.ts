/**
 * Feeds a MemoryClusterCache from a folder of Node and Pod manifests (YAML or
 * JSON, multi-document, `List`/`NodeList`/`PodList` too), optionally watching
 * the folder and reloading on change. A file that fails to parse keeps the
 * previous contents in place and is reported.
 */
import { type FSWatcher, watch } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import type { Node, Pod } from "../../core/api/mod.ts";
import { invalidArgument, KiteError } from "../../core/errors/mod.ts";
import { validateNode, validatePod } from "../../core/scheduler/mod.ts";
import type { Logger } from "../log/logger.ts";
import type { MemoryClusterCache } from "./cluster-view.ts";

export interface FolderContents {
  nodes: Node[];
  pods: Pod[];
}

function collect(obj: unknown, field: string, out: FolderContents): void {
  if (obj === null || obj === undefined) return;
  if (typeof obj !== "object" || Array.isArray(obj))
    throw invalidArgument(field, "must be a Kubernetes object");
  const o = obj as { kind?: unknown; items?: unknown };
  if (o.kind === "List" || o.kind === "NodeList" || o.kind === "PodList") {
    if (!Array.isArray(o.items)) throw invalidArgument(`${field}.items`, "must be a list");
    const itemKind = o.kind === "NodeList" ? "Node" : o.kind === "PodList" ? "Pod" : undefined;
    o.items.forEach((item, i) => {
      const it = item as { kind?: unknown };
      collect(itemKind && it && !it.kind ? { ...it, kind: itemKind } : item, `${field}.items[${i}]`, out);
    });
    return;
  }
  if (o.kind === "Node") {
    validateNode(obj, field);
    out.nodes.push(obj as Node);
  } else if (o.kind === "Pod") {
    validatePod(obj, field);
    out.pods.push(obj as Pod);
  }
  // Other kinds (Namespaces, Services, ...) are ignored.
}

/** Parses manifest text (one file) into nodes and pods. */
export function parseManifests(text: string, file: string): FolderContents {
  const out: FolderContents = { nodes: [], pods: [] };
  parseAllDocuments(text).forEach((doc, i) => {
    if (doc.errors.length > 0) throw invalidArgument(`${file}[${i}]`, doc.errors[0]!.message);
    collect(doc.toJS(), `${file}[${i}]`, out);
  });
  return out;
}

export async function readManifestFolder(dir: string): Promise<FolderContents> {
  const out: FolderContents = { nodes: [], pods: [] };
  const entries = (await readdir(dir, { withFileTypes: true }))
    .filter((e) => e.isFile() && /\.(ya?ml|json)$/.test(e.name))
    .map((e) => e.name)
    .sort();
  for (const name of entries) {
    const part = parseManifests(await readFile(join(dir, name), "utf8"), name);
    out.nodes.push(...part.nodes);
    out.pods.push(...part.pods);
  }
  return out;
}

export interface FolderSource {
  reload(): Promise<void>;
  close(): void;
}

/** Loads the folder into the cache, then (with `watchFolder`) reloads it when files change. */
export async function startFolderSource(
  dir: string,
  cache: MemoryClusterCache,
  options: { watchFolder?: boolean; log?: Logger; debounceMs?: number } = {},
): Promise<FolderSource> {
  const reload = async () => {
    const c = await readManifestFolder(dir);
    cache.replace(c.nodes, c.pods);
    options.log?.info("loaded cluster cache from folder", {
      dir,
      nodes: c.nodes.length,
      pods: c.pods.length,
    });
  };
  await reload();
  let watcher: FSWatcher | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  if (options.watchFolder) {
    watcher = watch(dir, () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        reload().catch((e) =>
          options.log?.error("reloading cluster cache failed; keeping the previous contents", {
            dir,
            err: KiteError.from(e).message,
          }),
        );
      }, options.debounceMs ?? 200);
    });
  }
  return {
    reload,
    close() {
      clearTimeout(timer);
      watcher?.close();
    },
  };
}
