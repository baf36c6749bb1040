/**
 * The extender's HTTP app (Hono): POST {prefix}/{filter,prioritize,preempt,bind}
 * in kube-scheduler's wire format, POST /simulate, GET /healthz and /metrics.
 * Bad input is a 400 naming the field, oversized bodies a 413; a failing
 * request never takes the server down.
 */
import { Hono } from "hono";
import { KiteError } from "../../core/errors/mod.ts";
import type { Logger } from "../log/logger.ts";
import { silentLogger } from "../log/logger.ts";
import { MetricsRegistry } from "../metrics/registry.ts";
import { bindVerb } from "./bind-verb.ts";
import { type Binder, noApiServerBinder } from "./binder.ts";
import type { ClusterView } from "./cluster-view.ts";
import { MemoryClusterCache } from "./cluster-view.ts";
import type { ExtenderConfig } from "./config.ts";
import { filterVerb } from "./filter-verb.ts";
import { createExtenderMetrics } from "./metrics.ts";
import { preemptVerb } from "./preempt-verb.ts";
import { prioritizeVerb } from "./prioritize-verb.ts";
import { runSimulation } from "./simulate-input.ts";
import { SnapshotProvider } from "./snapshot-provider.ts";
import { decodeBindingArgs, decodeExtenderArgs, decodePreemptionArgs } from "./wire.ts";

export interface ExtenderAppOptions {
  config: ExtenderConfig;
  cluster?: ClusterView;
  binder?: Binder;
  metrics?: MetricsRegistry;
  log?: Logger;
}

class HttpError extends Error {
  readonly status: 400 | 413;
  readonly field: string | undefined;
  constructor(status: 400 | 413, message: string, field?: string) {
    super(message);
    this.status = status;
    this.field = field;
  }
}

async function readJson(req: Request, limit: number): Promise<unknown> {
  const declared = Number(req.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(declared) && declared > limit) {
    throw new HttpError(413, `request body of ${declared} bytes exceeds the limit of ${limit} bytes`, "body");
  }
  let text: string;
  if (Number.isFinite(declared)) {
    // The declared length is within the limit; the runtime enforces it while reading.
    text = await req.text();
  } else {
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
          throw new HttpError(413, `request body exceeds the limit of ${limit} bytes`, "body");
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
    text = new TextDecoder().decode(bytes);
  }
  if (text.trim() === "") throw new HttpError(400, "request body is empty", "body");
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new HttpError(400, `malformed JSON: ${(e as Error).message}`, "body");
  }
}

export function createExtenderApp(options: ExtenderAppOptions): Hono {
  const { config } = options;
  const log = options.log ?? silentLogger;
  const registry = options.metrics ?? new MetricsRegistry();
  const metrics = createExtenderMetrics(registry);
  const cluster = options.cluster ?? new MemoryClusterCache();
  const binder = options.binder ?? noApiServerBinder;
  const profile = config.profile;
  const provider = new SnapshotProvider(cluster, profile.gates);
  const app = new Hono();

  const verbs = new Map<string, (body: unknown) => unknown | Promise<unknown>>();
  if (config.filterVerb)
    verbs.set(config.filterVerb, (b) => filterVerb(decodeExtenderArgs(b), profile, provider));
  if (config.prioritizeVerb) {
    verbs.set(config.prioritizeVerb, (b) => prioritizeVerb(decodeExtenderArgs(b), profile, provider));
  }
  if (config.preemptVerb)
    verbs.set(config.preemptVerb, (b) => preemptVerb(decodePreemptionArgs(b), profile, provider));
  if (config.bindVerb) verbs.set(config.bindVerb, (b) => bindVerb(decodeBindingArgs(b), binder));

  const handle = async (c: { req: { raw: Request } }, verb: string, run: (body: unknown) => unknown) => {
    const started = performance.now();
    let status = 200;
    let payload: unknown;
    try {
      payload = await run(await readJson(c.req.raw, config.maxBodyBytes));
    } catch (e) {
      if (e instanceof HttpError) {
        status = e.status;
        payload = { Error: e.field ? `${e.field}: ${e.message}` : e.message, field: e.field ?? null };
      } else {
        const err = KiteError.from(e);
        status = err.code === "invalid_argument" ? 400 : 500;
        payload = { Error: err.message, field: err.field ?? null };
        if (status === 500) log.error("extender request failed", { verb, err: err.message });
      }
    }
    metrics.request(verb, status, (performance.now() - started) / 1000);
    return new Response(JSON.stringify(payload), {
      status,
      headers: { "content-type": "application/json" },
    });
  };

  app.get("/healthz", (c) => c.text("ok"));
  app.get("/metrics", (c) =>
    c.body(registry.render(), 200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" }),
  );
  app.post("/simulate", (c) => handle(c, "simulate", runSimulation));
  app.post(`${config.urlPrefix}/:verb`, (c) => {
    const verb = c.req.param("verb");
    const run = verbs.get(verb);
    if (!run) {
      const known = [...verbs.keys()].map((v) => JSON.stringify(v)).join(", ");
      metrics.request("unknown", 400, 0);
      return c.json(
        { Error: `verb: unknown verb ${JSON.stringify(verb)}; this extender serves ${known}`, field: "verb" },
        400,
      );
    }
    return handle(c, verb, run);
  });
  app.notFound((c) => c.json({ Error: `no route for ${c.req.method} ${c.req.path}` }, 404));
  app.onError((e, c) => {
    log.error("extender request crashed", { err: KiteError.from(e).message });
    return c.json({ Error: KiteError.from(e).message }, 500);
  });
  return app;
}
