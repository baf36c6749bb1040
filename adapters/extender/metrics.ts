/** The extender's Prometheus metrics: requests and latency per verb, and time spent in the framework. */
import { exponentialBuckets, type MetricsRegistry } from "../metrics/registry.ts";

export interface ExtenderMetrics {
  request(verb: string, code: number, seconds: number): void;
}

export function createExtenderMetrics(registry: MetricsRegistry): ExtenderMetrics {
  const requests = registry.counter(
    "scheduler_extender_requests_total",
    "Number of requests served by the kite scheduler extender, by verb and HTTP status code.",
  );
  const duration = registry.histogram(
    "scheduler_extender_request_duration_seconds",
    "Latency of the kite scheduler extender's HTTP requests, by verb.",
    exponentialBuckets(0.0001, 2, 16),
  );
  return {
    request(verb, code, seconds) {
      requests.inc({ verb, code: String(code) });
      duration.observe(seconds, { verb });
    },
  };
}
