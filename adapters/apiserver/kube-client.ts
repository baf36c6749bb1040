/**
 * The REST client every kite component uses to talk to the API server. Configuration and credentials
 * come from @kubernetes/client-node's KubeConfig (kubeconfig files, in-cluster service account, exec
 * plugins, client certificates); requests go over node:http(s) with a timeout, and watches stream
 * newline-delimited JSON events.
 */
import { request as httpRequest, type IncomingMessage, type RequestOptions } from "node:http";
import { request as httpsRequest } from "node:https";
import { KubeConfig } from "@kubernetes/client-node";
import { KiteError } from "../../core/errors/mod.ts";
import { ApiError } from "./api-error.ts";
import { TokenBucket } from "./rate-limiter.ts";

export interface KubeClientOptions {
  /** Default timeout of non-watch requests (ms). Default 30 s. */
  timeoutMs?: number;
  userAgent?: string;
  /** Client-side rate limit (default 50 QPS, burst 100, as the kubelet's kubeAPIQPS/kubeAPIBurst); qps 0 = none. */
  qps?: number;
  burst?: number;
}

export interface RequestParams {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** Content type of the body; application/json by default. */
  contentType?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface WatchEvent<T = Record<string, unknown>> {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  object: T;
}

export type AnyObject = Record<string, unknown> & {
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    [k: string]: unknown;
  };
};

/** Loads a kubeconfig: an explicit file, else in-cluster (service account), else the default locations. */
export function loadKubeConfig(options: { kubeconfig?: string; inCluster?: boolean } = {}): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (options.kubeconfig) kc.loadFromFile(options.kubeconfig);
    else if (options.inCluster || process.env.KUBERNETES_SERVICE_HOST) kc.loadFromCluster();
    else kc.loadFromDefault();
  } catch (err) {
    throw new KiteError("invalid_argument", `cannot load kubeconfig: ${(err as Error).message}`, {
      field: "--kubeconfig",
      cause: err,
    });
  }
  if (!kc.getCurrentCluster())
    throw new KiteError("invalid_argument", "kubeconfig has no current cluster", { field: "--kubeconfig" });
  return kc;
}

function queryString(query: RequestParams["query"]): string {
  if (!query) return "";
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== "") qs.set(k, String(v));
  const s = qs.toString();
  return s ? `?${s}` : "";
}

export class KubeClient {
  private kc: KubeConfig;
  readonly server: URL;
  private readonly timeoutMs: number;
  private readonly userAgent: string;
  private tlsOptions: Promise<RequestOptions> | undefined;
  private readonly limiter: TokenBucket | undefined;

  constructor(kubeConfig: KubeConfig, options: KubeClientOptions = {}) {
    this.kc = kubeConfig;
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster)
      throw new KiteError("invalid_argument", "kubeconfig has no current cluster", { field: "--kubeconfig" });
    this.server = new URL(cluster.server);
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.userAgent = options.userAgent ?? "kite/0.1.0";
    const qps = options.qps ?? 50;
    this.limiter = qps > 0 ? new TokenBucket(qps, options.burst ?? 100) : undefined;
  }

  get kubeConfig(): KubeConfig {
    return this.kc;
  }

  /** Switches to new credentials (after a client certificate rotation); the server stays the same. */
  useKubeConfig(kubeConfig: KubeConfig): void {
    this.kc = kubeConfig;
    this.refreshCredentials();
  }

  /** The user name in the current context (for logs). */
  get userName(): string {
    return this.kubeConfig.getCurrentUser()?.name ?? "";
  }

  private async baseOptions(): Promise<RequestOptions> {
    if (!this.tlsOptions) {
      this.tlsOptions = (async () => {
        const opts: RequestOptions & Record<string, unknown> = { headers: {} };
        const kc = this.kubeConfig as unknown as { applyOptions(o: unknown): Promise<void> };
        // applyOptions fills ca/cert/key and the Authorization header (tokens, exec plugins) without an agent.
        await kc.applyOptions(opts);
        return opts;
      })();
    }
    return this.tlsOptions;
  }

  /** Forget cached credentials (after a certificate rotation or a 401). */
  refreshCredentials(): void {
    this.tlsOptions = undefined;
  }

  private async open(
    method: string,
    path: string,
    params: RequestParams,
    timeoutMs: number,
  ): Promise<IncomingMessage> {
    await this.limiter?.take();
    const base = await this.baseOptions();
    const url = new URL(path + queryString(params.query), this.server);
    const body = params.body === undefined ? undefined : Buffer.from(JSON.stringify(params.body));
    const headers: Record<string, string> = {
      ...(base.headers as Record<string, string>),
      accept: "application/json",
      "user-agent": this.userAgent,
    };
    if (body) {
      headers["content-type"] = params.contentType ?? "application/json";
      headers["content-length"] = String(body.length);
    }
    const isHttps = url.protocol === "https:";
    const doRequest = isHttps ? httpsRequest : httpRequest;
    return new Promise<IncomingMessage>((resolve, reject) => {
      const req = doRequest(
        url,
        {
          ...base,
          method,
          headers,
          ...(isHttps ? {} : { ca: undefined, cert: undefined, key: undefined }),
          agent: false,
          signal: params.signal,
        },
        resolve,
      );
      if (timeoutMs > 0) {
        req.setTimeout(timeoutMs, () =>
          req.destroy(new ApiError(method, path, 0, "Timeout", `no response within ${timeoutMs} ms`)),
        );
      }
      req.on("error", (err) =>
        reject(
          err instanceof ApiError
            ? err
            : new ApiError(method, path, 0, "ConnectionError", (err as Error).message, err),
        ),
      );
      req.end(body);
    });
  }

  private static async readAll(res: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  }

  private static failure(method: string, path: string, status: number, text: string): ApiError {
    let reason = "Unknown";
    let message = text.slice(0, 500);
    try {
      const s = JSON.parse(text) as { reason?: string; message?: string };
      reason = s.reason ?? reason;
      message = s.message ?? message;
    } catch {
      // not a Status body
    }
    return new ApiError(method, path, status, reason, message);
  }

  /** One request; resolves to the decoded JSON body, throws ApiError on a non-2xx status or no response. */
  async request<T = AnyObject>(method: string, path: string, params: RequestParams = {}): Promise<T> {
    const timeoutMs = params.timeoutMs ?? this.timeoutMs;
    let res: IncomingMessage;
    let text: string;
    try {
      res = await this.open(method, path, params, timeoutMs);
      text = await KubeClient.readAll(res);
    } catch (err) {
      if (err instanceof ApiError) throw err;
      throw new ApiError(method, path, 0, "ConnectionError", (err as Error).message, err);
    }
    const status = res.statusCode ?? 0;
    if (status < 200 || status > 299) {
      if (status === 401) this.refreshCredentials();
      throw KubeClient.failure(method, path, status, text);
    }
    return (text ? JSON.parse(text) : {}) as T;
  }

  get<T = AnyObject>(path: string, params?: RequestParams): Promise<T> {
    return this.request<T>("GET", path, params);
  }
  create<T = AnyObject>(path: string, body: unknown, params: RequestParams = {}): Promise<T> {
    return this.request<T>("POST", path, { ...params, body });
  }
  replace<T = AnyObject>(path: string, body: unknown, params: RequestParams = {}): Promise<T> {
    return this.request<T>("PUT", path, { ...params, body });
  }
  patch<T = AnyObject>(
    path: string,
    body: unknown,
    type: "strategic" | "merge" | "json" = "strategic",
    params: RequestParams = {},
  ): Promise<T> {
    const contentType =
      type === "strategic"
        ? "application/strategic-merge-patch+json"
        : type === "merge"
          ? "application/merge-patch+json"
          : "application/json-patch+json";
    return this.request<T>("PATCH", path, { ...params, body, contentType });
  }
  delete<T = AnyObject>(
    path: string,
    options: { gracePeriodSeconds?: number; preconditions?: { uid?: string; resourceVersion?: string } } = {},
    params: RequestParams = {},
  ): Promise<T> {
    return this.request<T>("DELETE", path, {
      ...params,
      body: { kind: "DeleteOptions", apiVersion: "v1", ...options },
    });
  }

  /**
   * Opens a watch and calls `onEvent` for each event. Resolves when the server ends the stream,
   * rejects on a connection error or a non-200 answer. `idleTimeoutMs` cuts a stream that stays
   * silent (no events, no bookmarks) that long, so a half-dead connection is noticed.
   */
  async watch(
    path: string,
    query: RequestParams["query"],
    onEvent: (e: WatchEvent) => void,
    options: { signal?: AbortSignal; idleTimeoutMs?: number } = {},
  ): Promise<void> {
    const res = await this.open(
      "GET",
      path,
      { query: { ...query, watch: "true" }, ...(options.signal ? { signal: options.signal } : {}) },
      options.idleTimeoutMs ?? 0,
    );
    const status = res.statusCode ?? 0;
    if (status !== 200) {
      const text = await KubeClient.readAll(res);
      throw KubeClient.failure("GET", path, status, text);
    }
    if (options.idleTimeoutMs) {
      res.socket.setTimeout(options.idleTimeoutMs, () =>
        res.destroy(new ApiError("GET", path, 0, "Timeout", "watch stream idle")),
      );
    }
    let buffer = "";
    await new Promise<void>((resolve, reject) => {
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        buffer += chunk;
        let nl = buffer.indexOf("\n");
        while (nl >= 0) {
          const line = buffer.slice(0, nl).trim();
          buffer = buffer.slice(nl + 1);
          nl = buffer.indexOf("\n");
          if (!line) continue;
          try {
            onEvent(JSON.parse(line) as WatchEvent);
          } catch (err) {
            res.destroy(err as Error);
            return;
          }
        }
      });
      res.on("end", () => resolve());
      res.on("error", (err) =>
        reject(
          err instanceof ApiError ? err : new ApiError("GET", path, 0, "ConnectionError", err.message, err),
        ),
      );
      res.on("close", () =>
        res.complete
          ? resolve()
          : reject(new ApiError("GET", path, 0, "ConnectionError", "watch stream closed")),
      );
    });
  }
}
