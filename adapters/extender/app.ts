/**
 * The extender's HTTP app (Hono): POST {prefix}/{filter,prioritize,preempt,bind}
 * in kube-scheduler's wire format, POST /simulate, GET /healthz and /metrics.
 * Bad input is a 400 naming the field, oversized bodies a 413; a failing
 * request never takes the server down.
 */
import { Hono } from "hono";
import { KiteError } from "../../core/errors/mod.ts";
import { setNodeFastPath } from "../http/serve.ts";
import type { Logger } from "../log/logger.ts";
import { silentLogger } from "../log/logger.ts";
import { MetricsRegistry } from "../metrics/registry.ts";
import { type Binder, noApiServerBinder } from "./binder.ts";
import type { ClusterView } from "./cluster-view.ts";
import { MemoryClusterCache } from "./cluster-view.ts";
import type { ExtenderConfig } from "./config.ts";
import { createExtenderMetrics } from "./metrics.ts";
import { extenderFastPath } from "./node-fast-path.ts";
import { runSimulation } from "./simulate-input.ts";
import { SnapshotProvider } from "./snapshot-provider.ts";
import { tuneV8ForExtender } from "./v8-tuning.ts";
import { errorReply, replyTo, tooLarge, type VerbReply, type VerbRoute } from "./verb-reply.ts";
import { verbRoutes } from "./verb-routes.ts";

export interface ExtenderAppOptions {
  config: ExtenderConfig;
  cluster?: ClusterView;
  binder?: Binder;
  metrics?: MetricsRegistry;
  log?: Logger;
}

/** Reads the body as text, enforcing the size limit by the declared length or by the bytes read. */
async function readText(req: Request, limit: number): Promise<string> {
  const declared = Number(req.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit, declared);
  // The declared length is within the limit; the runtime enforces it while reading.
  if (Number.isFinite(declared)) return req.text();
  const reader = req.body?.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (reader) {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel().catch(() => {});
        throw tooLarge(limit);
      }
      chunks.push(value);
    }
  }
  const bytes = new Uint8Array(size);
  let off = 0;
  for (const c of chunks) {
    bytes.set(c, off);
    off += c.byteLength;
  }
  return new TextDecoder().decode(bytes);
}

export function createExtenderApp(options: ExtenderAppOptions): Hono {
  tuneV8ForExtender();
  const { config } = options;
  const log = options.log ?? silentLogger;
  const registry = options.metrics ?? new MetricsRegistry();
  const metrics = createExtenderMetrics(registry);
  const cluster = options.cluster ?? new MemoryClusterCache();
  const binder = options.binder ?? noApiServerBinder;
  const app = new Hono();

  const verbs = verbRoutes(config, new SnapshotProvider(cluster, config.profile.gates), binder);

  const handle = async (c: { req: { raw: Request } }, verb: string, route: VerbRoute) => {
    const started = performance.now();
    let reply: VerbReply;
    try {
      reply = await replyTo(route, verb, await readText(c.req.raw, config.maxBodyBytes), log);
    } catch (e) {
      reply = errorReply(e, verb, log);
    }
    metrics.request(verb, reply.status, (performance.now() - started) / 1000);
    return new Response(reply.body as BodyInit, {
      status: reply.status,
      headers: { "content-type": "application/json" },
    });
  };

  app.get("/healthz", (c) => c.text("ok"));
  app.get("/metrics", (c) =>
    c.body(registry.render(), 200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" }),
  );
  app.post("/simulate", (c) => handle(c, "simulate", { run: runSimulation }));
  app.post(`${config.urlPrefix}/:verb`, (c) => {
    const verb = c.req.param("verb");
    const route = verbs.get(verb);
    if (!route) {
      const known = [...verbs.keys()].map((v) => JSON.stringify(v)).join(", ");
      metrics.request("unknown", 400, 0);
      return c.json(
        { Error: `verb: unknown verb ${JSON.stringify(verb)}; this extender serves ${known}`, field: "verb" },
        400,
      );
    }
    return handle(c, verb, route);
  });
  app.notFound((c) => c.json({ Error: `no route for ${c.req.method} ${c.req.path}` }, 404));
  app.onError((e, c) => {
    log.error("extender request crashed", { err: KiteError.from(e).message });
    return c.json({ Error: KiteError.from(e).message }, 500);
  });
  // filter and prioritize straight from node:http when served on a socket (serveApp), same replies.
  const hot = new Map<string, { verb: string; route: VerbRoute }>();
  for (const verb of [config.filterVerb, config.prioritizeVerb]) {
    const route = verb ? verbs.get(verb) : undefined;
    if (verb && route) hot.set(`${config.urlPrefix}/${verb}`, { verb, route });
  }
  setNodeFastPath(app, extenderFastPath({ routes: hot, maxBodyBytes: config.maxBodyBytes, metrics, log }));
  return app;
}
