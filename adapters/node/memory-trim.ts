import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/**
 * Asks V8 to favour memory over speed (`--optimize-for-size`, set at run time as kite is started without node
 * flags): above all a small young generation, which otherwise grows to 2 × 16 MiB during a burst of pod starts and
 * stays committed. The daemon's work is waiting on the runtime, so the extra scavenges cost little CPU.
 */
export function optimizeHeapForSize(): void {
  try {
    setFlagsFromString("--optimize-for-size");
  } catch {
    // not V8, or the flag is gone: the default heap sizing
  }
}

/**
 * Keeps the daemon's resident memory close to its live heap: V8 grows the heap during bursts (110 pods starting)
 * and gives pages back only after a full collection. A full GC every `periodMs` (tens of ms on a ~20 MB heap)
 * returns them. Uses the V8 `gc` function exposed at runtime.
 */
export function startMemoryTrim(periodMs = 15_000): { stop(): void } {
  let gc: (() => void) | undefined;
  try {
    setFlagsFromString("--expose-gc");
    gc = runInNewContext("gc") as () => void;
  } catch {
    return { stop() {} };
  }
  const timer = setInterval(() => gc?.(), periodMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
