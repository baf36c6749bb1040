import { renameSync, writeFileSync } from "node:fs";
import { rename, writeFile } from "node:fs/promises";
import type { Pod } from "../../core/api/mod.ts";
import type { SourceError } from "./pod-source.ts";

/**
 * Where pod status goes: the in-memory view behind /pods, a status file for `kite up`, and (in cluster mode) an
 * API-server status writer implementing the same interface.
 */
export interface StatusSink {
  podStatusChanged(pod: Pod): void;
  podRemoved(pod: Pod): void;
  /** The eviction manager evicted the pod (its Failed/Evicted status also arrives through podStatusChanged). */
  podEvicted?(pod: Pod, message: string): void;
  /** The pod sources' current problems (bad manifests, with file and field). */
  sourceErrorsChanged?(errors: SourceError[]): void;
}

/**
 * Writes every pod with its status to one JSON file (atomically, at most every `intervalMs`). The periodic writes
 * are asynchronous (a slow disk does not hold up the pod workers); `flush` writes at once, synchronously (stop).
 */
export function createStatusFileSink(
  file: string,
  extra: () => Record<string, unknown>,
  intervalMs = 300,
): StatusSink & { flush(): void } {
  const pods = new Map<string, Pod>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let writing = false;
  let dirty = false;
  /** Set by flush (stop): a periodic write still in flight must not replace the final file. */
  let final = false;
  const body = () =>
    JSON.stringify({ updated: new Date().toISOString(), ...extra(), pods: [...pods.values()] }, null, 1);
  const flush = () => {
    final = true;
    clearTimeout(timer);
    timer = undefined;
    writeFileSync(`${file}.tmp`, body());
    renameSync(`${file}.tmp`, file);
  };
  const write = async () => {
    timer = undefined;
    if (writing) {
      dirty = true;
      return;
    }
    writing = true;
    try {
      await writeFile(`${file}.async.tmp`, body());
      if (!final) await rename(`${file}.async.tmp`, file);
    } catch {
      // the folder went away (shutting down); the next change tries again
    } finally {
      writing = false;
      if (dirty) {
        dirty = false;
        schedule();
      }
    }
  };
  const schedule = () => {
    if (!timer) {
      timer = setTimeout(write, intervalMs);
      timer.unref?.();
    }
  };
  return {
    podStatusChanged(pod) {
      pods.set(pod.metadata.uid!, pod);
      schedule();
    },
    podRemoved(pod) {
      pods.delete(pod.metadata.uid!);
      schedule();
    },
    sourceErrorsChanged() {
      schedule();
    },
    flush,
  };
}
