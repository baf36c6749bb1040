/**
 * kube-proxy's health (`--healthz-bind-address`, :10256: /healthz, /livez with upstream's JSON body)
 * and metrics endpoints (`--metrics-bind-address`, 127.0.0.1:10249: /metrics, /proxyMode, /healthz).
 * Healthy = no queued update older than healthTimeout (2 × --sync-period); /healthz also requires
 * the node to be eligible (not being deleted, no ToBeDeletedByClusterAutoscaler taint).
 */
import { Hono } from "hono";
import { metricsContentType } from "../metrics/registry.ts";
import type { ProxyMetrics } from "./proxy-metrics.ts";

/** Go's time.Time.String() form (without the monotonic part), as upstream prints it. */
export function goTimeString(ms: number): string {
  if (ms === 0) return "0001-01-01 00:00:00 +0000 UTC";
  const iso = new Date(ms).toISOString(); // 2026-11-24T17:55:51.123Z
  const frac = iso.slice(20, 23).replace(/0+$/, "");
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${frac ? `.${frac}` : ""} +0000 UTC`;
}

export interface HealthState {
  /** An update was received but not yet applied. */
  queuedUpdate(now: number): void;
  /** Rules are in sync. */
  updated(now: number): void;
  setNodeEligible(eligible: boolean): void;
  healthy(now: number): { healthy: boolean; lastUpdated: number; nodeEligible: boolean };
}

export function createHealthState(healthTimeoutMs: number): HealthState {
  let lastUpdated = 0;
  let oldestPending = 0;
  let nodeEligible = true;
  return {
    queuedUpdate(now) {
      if (oldestPending === 0) oldestPending = now;
    },
    updated(now) {
      oldestPending = 0;
      lastUpdated = now;
    },
    setNodeEligible(e) {
      nodeEligible = e;
    },
    healthy(now) {
      const healthy = oldestPending === 0 || now - oldestPending < healthTimeoutMs;
      return { healthy, lastUpdated, nodeEligible };
    },
  };
}

function body(healthy: boolean, lastUpdated: number, now: number, eligible?: boolean): string {
  const last = goTimeString(healthy ? now : lastUpdated);
  const cur = goTimeString(now);
  return eligible === undefined
    ? `{"lastUpdated": ${JSON.stringify(last)},"currentTime": ${JSON.stringify(cur)}}`
    : `{"lastUpdated": ${JSON.stringify(last)},"currentTime": ${JSON.stringify(cur)}, "nodeEligible": ${eligible}}`;
}

/**
 * A fresh object per response: @hono/node-server writes Content-Length into the headers object it is
 * given, so a shared one would carry an earlier body's length into a later, shorter body.
 */
const jsonHeaders = () => ({ "Content-Type": "application/json", "X-Content-Type-Options": "nosniff" });

export function healthApp(state: HealthState, metrics: ProxyMetrics, now: () => number = Date.now): Hono {
  const app = new Hono();
  app.get("/healthz", () => {
    const t = now();
    const h = state.healthy(t);
    const ok = h.healthy && h.nodeEligible;
    metrics.healthzTotal.inc({ code: ok ? "200" : "503" });
    return new Response(body(ok, h.lastUpdated, t, h.nodeEligible), {
      status: ok ? 200 : 503,
      headers: jsonHeaders(),
    });
  });
  app.get("/livez", () => {
    const t = now();
    const h = state.healthy(t);
    metrics.livezTotal.inc({ code: h.healthy ? "200" : "503" });
    return new Response(body(h.healthy, h.lastUpdated, t), {
      status: h.healthy ? 200 : 503,
      headers: jsonHeaders(),
    });
  });
  return app;
}

export function metricsApp(metrics: ProxyMetrics, mode: () => string): Hono {
  const app = new Hono();
  app.get(
    "/metrics",
    () => new Response(metrics.registry.render(), { headers: { "Content-Type": metricsContentType } }),
  );
  app.get(
    "/proxyMode",
    () => new Response(mode(), { headers: { "Content-Type": "text/plain; charset=utf-8" } }),
  );
  app.get("/healthz", () => new Response("ok"));
  return app;
}

/** Upstream's taint marking a node the cluster autoscaler is about to delete. */
export const toBeDeletedTaint = "ToBeDeletedByClusterAutoscaler";

/** The node may receive load-balancer traffic: not being deleted, no ToBeDeletedByClusterAutoscaler taint. */
export function nodeEligible(node: {
  metadata: { deletionTimestamp?: string };
  spec?: { taints?: { key: string }[] };
}): boolean {
  if (node.metadata.deletionTimestamp) return false;
  return !(node.spec?.taints ?? []).some((t) => t.key === toBeDeletedTaint);
}
