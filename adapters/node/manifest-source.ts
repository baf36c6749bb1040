import { type FSWatcher, readdirSync, readFileSync, statSync, watch } from "node:fs";
import { basename, join } from "node:path";
import { parseAllDocuments } from "yaml";
import type { Pod } from "../../core/api/mod.ts";
import { KiteError } from "../../core/errors/mod.ts";
import type { Logger } from "../log/logger.ts";
import type { PodSource, SourceError, SourceUpdate } from "./pod-source.ts";
import { applyStaticPodDefaults, validatePod } from "./static-pod.ts";

/** The kubelet's maxConfigLength. */
const maxManifestBytes = 10 * 1024 * 1024;

export interface ManifestSourceOptions {
  /** `--pod-manifest-path`: a folder (or one file) of YAML/JSON pod manifests. */
  path: string;
  nodeName: string;
  /** fileCheckFrequency (20 s). */
  checkIntervalMs?: number;
  log: Logger;
}

/** Parses one manifest file into pods (YAML with several documents, or JSON). */
export function parseManifestFile(
  file: string,
  text: string,
  nodeName: string,
): { pods: Pod[]; errors: SourceError[] } {
  const pods: Pod[] = [];
  const errors: SourceError[] = [];
  const docs = parseAllDocuments(text, { prettyErrors: true });
  docs.forEach((doc, i) => {
    const origin = docs.length > 1 ? `${file} (document ${i + 1})` : file;
    if (doc.errors.length > 0) {
      const e = doc.errors[0]!;
      const pos = e.linePos?.[0];
      errors.push({
        origin,
        message: `invalid YAML${pos ? ` at line ${pos.line}, column ${pos.col}` : ""}: ${e.message.split("\n")[0]}`,
      });
      return;
    }
    let obj: unknown;
    try {
      obj = doc.toJS();
    } catch (e) {
      errors.push({ origin, message: `invalid YAML: ${(e as Error).message.split("\n")[0]}` });
      return;
    }
    if (obj === null || obj === undefined) return;
    try {
      pods.push(applyStaticPodDefaults(validatePod(obj), nodeName, file));
    } catch (e) {
      const err = KiteError.from(e);
      errors.push({ origin, ...(err.field ? { field: err.field } : {}), message: err.rawMessage });
    }
  });
  return { pods, errors };
}

/**
 * The static pod folder (`--pod-manifest-path`): watched with fs.watch and re-read every 20 s. A file that turns
 * bad keeps its last good pods (nothing running is disturbed) and is reported with the field at fault.
 */
export function createManifestSource(options: ManifestSourceOptions): PodSource {
  const interval = options.checkIntervalMs ?? 20_000;
  const lastGood = new Map<string, { mtimeMs: number; size: number; pods: Pod[]; errors: SourceError[] }>();
  let timer: ReturnType<typeof setInterval> | undefined;
  let watcher: FSWatcher | undefined;
  let debounce: ReturnType<typeof setTimeout> | undefined;
  let deliver: (u: SourceUpdate) => void = () => {};
  let lastReported = "";

  const files = (): string[] => {
    try {
      const st = statSync(options.path);
      if (st.isFile()) return [options.path];
      return readdirSync(options.path)
        .filter((f) => !f.startsWith(".") && /\.(ya?ml|json)$/i.test(f))
        .sort()
        .map((f) => join(options.path, f));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw e;
    }
  };

  const scan = () => {
    const seen = new Set<string>();
    const pods: Pod[] = [];
    const errors: SourceError[] = [];
    for (const file of files()) {
      seen.add(file);
      let st: { mtimeMs: number; size: number; isFile(): boolean };
      try {
        st = statSync(file);
      } catch {
        continue;
      }
      if (!st.isFile()) continue;
      const cached = lastGood.get(file);
      if (!cached || cached.mtimeMs !== st.mtimeMs || cached.size !== st.size) {
        if (st.size > maxManifestBytes) {
          errors.push({ origin: file, message: `file is larger than ${maxManifestBytes} bytes` });
          if (cached) pods.push(...cached.pods);
          continue;
        }
        let text: string;
        try {
          text = readFileSync(file, "utf8");
        } catch (e) {
          errors.push({ origin: file, message: (e as Error).message });
          continue;
        }
        const parsed = parseManifestFile(file, text, options.nodeName);
        // A file that parsed with errors keeps whatever it last delivered successfully.
        const keep = parsed.errors.length > 0 && cached ? cached.pods : parsed.pods;
        lastGood.set(file, { mtimeMs: st.mtimeMs, size: st.size, pods: keep, errors: parsed.errors });
      }
      const entry = lastGood.get(file)!;
      pods.push(...entry.pods);
      errors.push(...entry.errors);
    }
    for (const file of [...lastGood.keys()]) if (!seen.has(file)) lastGood.delete(file);
    const seenUid = new Set<string>();
    const unique = pods.filter((p) => {
      const key = `${p.metadata.namespace}/${p.metadata.name}`;
      if (seenUid.has(key)) {
        errors.push({
          origin: p.metadata.annotations?.["kubernetes.io/config.source"] ?? "",
          field: "metadata.name",
          message: `duplicate pod ${key}`,
        });
        return false;
      }
      seenUid.add(key);
      return true;
    });
    const report = JSON.stringify(errors);
    if (report !== lastReported) {
      for (const e of errors)
        options.log.error("static pod manifest rejected", {
          file: basename(e.origin),
          path: e.origin,
          field: e.field,
          err: e.message,
        });
      lastReported = report;
    }
    deliver({ source: "file", pods: unique, errors });
  };

  const safeScan = () => {
    try {
      scan();
    } catch (e) {
      options.log.error("reading the manifest folder failed", { path: options.path, err: e });
    }
  };

  return {
    name: "file",
    async start(d) {
      deliver = d;
      safeScan();
      timer = setInterval(safeScan, interval);
      timer.unref?.();
      try {
        // React at once (as the kubelet's inotify source does); a burst of events (many files written together)
        // folds into one re-read a few ms later, and events that arrive after it start another one.
        watcher = watch(options.path, { persistent: false }, () => {
          if (debounce) return;
          debounce = setTimeout(() => {
            debounce = undefined;
            safeScan();
          }, 5);
        });
        watcher.on("error", () => {});
      } catch {
        // No folder yet: the periodic re-read picks it up.
      }
    },
    stop() {
      clearInterval(timer);
      clearTimeout(debounce);
      watcher?.close();
    },
  };
}
