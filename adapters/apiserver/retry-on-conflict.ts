/**
 * retry.RetryOnConflict: re-runs a read-modify-write when the server answers 409 Conflict
 * (client-go's DefaultRetry: 5 steps, 10 ms, jitter 0.1).
 */
import { isConflict } from "./api-error.ts";
import { sleep } from "./backoff.ts";

export interface RetryOptions {
  steps?: number;
  delayMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Called before each retry (for logs and tests). */
  onRetry?: (attempt: number, err: unknown) => void;
}

export async function retryOnConflict<T>(fn: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const steps = options.steps ?? 5;
  const delay = options.delayMs ?? 10;
  const wait = options.sleep ?? ((ms: number) => sleep(ms));
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isConflict(err) || attempt >= steps) throw err;
      options.onRetry?.(attempt, err);
      await wait(Math.round(delay * (1 + 0.1 * Math.random())));
    }
  }
}
