/**
 * Client-side request rate limit (client-go's token bucket: QPS refill, burst capacity). The kubelet
 * talks to the API server at 50 QPS / burst 100 (kubeAPIQPS, kubeAPIBurst); kube-proxy at 5 / 10.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly qps: number;
  private readonly burst: number;
  private readonly now: () => number;
  private queue: Promise<void> = Promise.resolve();

  constructor(qps: number, burst: number, now: () => number = () => Date.now()) {
    this.qps = qps;
    this.burst = Math.max(1, burst);
    this.tokens = this.burst;
    this.now = now;
    this.last = now();
  }

  /** How long a request must wait now (ms), taking a token. */
  reserve(): number {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.qps);
    this.last = t;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.qps) * 1000);
  }

  /** Waits for a token (requests are served in order). */
  take(): Promise<void> {
    const next = this.queue.then(async () => {
      const wait = this.reserve();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    });
    this.queue = next.catch(() => {});
    return next;
  }
}
