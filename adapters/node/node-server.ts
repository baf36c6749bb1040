import { statSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import type { TLSSocket } from "node:tls";
import { Hono, type MiddlewareHandler } from "hono";
import { stream } from "hono/streaming";
import type { Pod } from "../../core/api/mod.ts";
import { type MetricsRegistry, metricsContentType } from "../metrics/registry.ts";
import type { Authenticator } from "./authn.ts";
import { followContainerLog, readContainerLog } from "./container-logs.ts";
import type { RuntimePod } from "./runtime-pod.ts";

export interface NodeServerDeps {
  pods(): Pod[];
  runtimePods(): RuntimePod[];
  /** ok, or why the node is not healthy (sync loop or PLEG stuck). */
  health(): { ok: boolean; reason?: string };
  metrics: MetricsRegistry;
  /** Refreshes process gauges right before /metrics renders. */
  beforeMetrics?: () => void;
  statsSummary(onlyCpuAndMemory: boolean): Promise<unknown>;
  /** The CRI log file of a container's current (or previous) instance, and whether it still runs. */
  containerLog(
    ns: string,
    pod: string,
    container: string,
    previous: boolean,
  ): Promise<{ path: string; running: () => boolean } | undefined>;
}

type Env = { Bindings: { incoming: IncomingMessage } };

function healthz(deps: NodeServerDeps, app: Hono<Env>): void {
  app.get("/healthz", (c) => {
    const h = deps.health();
    return h.ok ? c.text("ok") : c.text(`[-]${h.reason}\nhealthz check failed`, 500);
  });
  app.get("/healthz/ping", (c) => c.text("ok"));
  app.get("/healthz/syncloop", (c) => {
    const h = deps.health();
    return h.ok ? c.text("ok") : c.text(h.reason ?? "failed", 500);
  });
}

function podList(pods: Pod[]) {
  return { kind: "PodList", apiVersion: "v1", metadata: {}, items: pods };
}

/** The routes every port serves (10250 and the read-only 10255). */
function defaultRoutes(deps: NodeServerDeps, app: Hono<Env>): void {
  healthz(deps, app);
  app.get("/pods", (c) => c.json(podList(deps.pods())));
  app.get("/pods/", (c) => c.json(podList(deps.pods())));
  app.get("/stats/summary", async (c) =>
    c.json(await deps.statsSummary(c.req.query("only_cpu_and_memory") === "true")),
  );
  const metrics = (c: { body: (b: string, s: 200, h: Record<string, string>) => Response }) => {
    deps.beforeMetrics?.();
    return c.body(deps.metrics.render(), 200, { "content-type": metricsContentType });
  };
  app.get("/metrics", (c) => metrics(c));
  app.get("/metrics/probes", (c) => metrics(c));
}

/** The authenticated API of port 10250 (a token-file/client-CA authenticator, or a cluster-mode middleware). */
export function createNodeApp(deps: NodeServerDeps, auth: Authenticator | MiddlewareHandler): Hono<Env> {
  const app = new Hono<Env>();
  if (typeof auth === "function") {
    // Cluster mode: client certificates + TokenReview + SubjectAccessReview.
    app.use("*", auth);
  } else {
    app.use("*", async (c, next) => {
      const socket = c.env?.incoming?.socket as TLSSocket | undefined;
      const user = auth.authenticate(c.req.raw.headers, socket);
      if (!user) return c.text("Unauthorized", 401);
      await next();
    });
  }
  defaultRoutes(deps, app);
  app.get("/runningpods/", (c) => {
    const items: Pod[] = deps
      .runtimePods()
      .filter((p) => p.sandboxes.some((s) => s.ready))
      .map((p) => ({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: p.name, namespace: p.namespace, uid: p.uid },
        spec: {
          containers: [...new Set(p.containers.filter((x) => x.state === 1).map((x) => x.name))].map(
            (name) => {
              const inst = p.containers.find((x) => x.name === name && x.state === 1)!;
              return { name, image: inst.imageRef };
            },
          ),
        },
      }));
    return c.json(podList(items));
  });
  const logs = async (c: import("hono").Context<Env>) => {
    const { ns, pod, container } = c.req.param() as { ns: string; pod: string; container: string };
    const q = (k: string) => c.req.query(k);
    const previous = q("previous") === "true";
    const found = await deps.containerLog(ns, pod, container, previous);
    if (!found) return c.text(`container "${container}" in pod "${pod}" (namespace ${ns}) not found`, 404);
    const int = (v: string | undefined) => (v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined);
    const timestamps = q("timestamps") === "true";
    const sinceSeconds = int(q("sinceSeconds"));
    const sinceTime =
      q("sinceTime") ??
      (sinceSeconds !== undefined ? new Date(Date.now() - sinceSeconds * 1000).toISOString() : undefined);
    const text = readContainerLog(found.path, {
      tailLines: int(q("tailLines")),
      timestamps,
      limitBytes: int(q("limitBytes")),
      ...(sinceTime ? { sinceTime } : {}),
    });
    if (q("follow") !== "true") return c.text(text);
    let offset = 0;
    try {
      offset = statSync(found.path).size;
    } catch {}
    return stream(c, async (s) => {
      const ac = new AbortController();
      s.onAbort(() => ac.abort());
      await s.write(text);
      await followContainerLog(
        found.path,
        offset,
        timestamps,
        (chunk) => s.write(chunk).then(() => {}),
        ac.signal,
        found.running,
      );
    });
  };
  app.get("/containerLogs/:ns/:pod/:container", logs);
  return app;
}

/** Read-only port 10255: no authentication, default handlers only. */
export function createReadOnlyApp(deps: NodeServerDeps): Hono<Env> {
  const app = new Hono<Env>();
  defaultRoutes(deps, app);
  return app;
}

/** 127.0.0.1:10248: only /healthz. */
export function createHealthzApp(deps: NodeServerDeps): Hono<Env> {
  const app = new Hono<Env>();
  healthz(deps, app);
  return app;
}
