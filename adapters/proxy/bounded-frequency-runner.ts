/**
 * Runs a sync function no more often than `minIntervalMs` (allowing `burst` quick runs, refilled at one
 * per minInterval) and at least every `maxIntervalMs`, never twice at once — the shape of upstream's
 * async.BoundedFrequencyRunner that drives kube-proxy (--min-sync-period / --sync-period).
 */
export interface BoundedFrequencyRunnerOptions {
  minIntervalMs: number;
  maxIntervalMs: number;
  /** Runs allowed back to back before minInterval applies (upstream kube-proxy: 2). */
  burst?: number;
  now?: () => number;
}

export interface BoundedFrequencyRunner {
  /** Asks for a run as soon as the rate limit allows. */
  run(): void;
  /** Asks for a run no later than `ms` from now (used after a failed sync). */
  retryAfter(ms: number): void;
  /** Starts the periodic runs (the first one immediately). */
  start(): void;
  /** Stops scheduling and waits for a run in progress. */
  stop(): Promise<void>;
  /** Resolves when no run is in progress or requested. */
  idle(): Promise<void>;
}

export function createBoundedFrequencyRunner(
  fn: () => Promise<void>,
  options: BoundedFrequencyRunnerOptions,
): BoundedFrequencyRunner {
  const now = options.now ?? (() => performance.now());
  const burst = Math.max(1, options.burst ?? 2);
  const minInterval = Math.max(0, options.minIntervalMs);
  let tokens = burst;
  let lastRefill = now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let timerAt = Number.POSITIVE_INFINITY;
  let inFlight: Promise<void> | undefined;
  let requested = false;
  let stopped = true;
  let idleWaiters: (() => void)[] = [];

  const refill = () => {
    const t = now();
    if (minInterval === 0) {
      tokens = burst;
    } else {
      tokens = Math.min(burst, tokens + (t - lastRefill) / minInterval);
    }
    lastRefill = t;
  };

  const schedule = (delay: number) => {
    if (stopped) return;
    const at = now() + Math.max(0, delay);
    if (timer !== undefined && timerAt <= at) return;
    if (timer !== undefined) clearTimeout(timer);
    timerAt = at;
    timer = setTimeout(tick, Math.max(0, delay));
  };

  const notifyIdle = () => {
    if (inFlight || requested) return;
    const w = idleWaiters;
    idleWaiters = [];
    for (const f of w) f();
  };

  const tick = () => {
    timer = undefined;
    timerAt = Number.POSITIVE_INFINITY;
    if (stopped) return;
    if (inFlight) {
      requested = true;
      return;
    }
    refill();
    if (tokens < 1) {
      schedule(((1 - tokens) * minInterval) | 0 || 1);
      return;
    }
    tokens -= 1;
    requested = false;
    inFlight = fn()
      .catch(() => {})
      .finally(() => {
        inFlight = undefined;
        if (stopped) {
          notifyIdle();
          return;
        }
        if (requested) schedule(0);
        else schedule(options.maxIntervalMs);
        notifyIdle();
      });
  };

  return {
    run() {
      requested = true;
      if (!inFlight) schedule(0);
    },
    retryAfter(ms) {
      schedule(ms);
    },
    start() {
      stopped = false;
      requested = true;
      schedule(0);
    },
    async stop() {
      stopped = true;
      requested = false;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      await inFlight;
      notifyIdle();
    },
    idle() {
      if (!inFlight && !requested) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
  };
}
