/**
 * Exponential back-off with jitter, as client-go's reflector uses between failed list/watch attempts
 * (800 ms initial, doubling, capped at 30 s, reset after a healthy stretch).
 */
export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  factor?: number;
  /** Extra random share added to each delay (0..jitter × delay). */
  jitter?: number;
  random?: () => number;
}

export class Backoff {
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly factor: number;
  private readonly jitter: number;
  private readonly random: () => number;
  private current = 0;

  constructor(options: BackoffOptions = {}) {
    this.initialMs = options.initialMs ?? 800;
    this.maxMs = options.maxMs ?? 30_000;
    this.factor = options.factor ?? 2;
    this.jitter = options.jitter ?? 1;
    this.random = options.random ?? Math.random;
  }

  /** The delay before the next attempt; grows with each call until reset(). */
  next(): number {
    this.current = this.current === 0 ? this.initialMs : Math.min(this.maxMs, this.current * this.factor);
    return Math.round(this.current * (1 + this.jitter * this.random()));
  }

  reset(): void {
    this.current = 0;
  }
}

/** Sleeps `ms`, or until the signal aborts (then resolves early). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
