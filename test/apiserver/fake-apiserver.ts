/**
 * An in-test Kubernetes API server on a real socket (127.0.0.1, optionally TLS).
 *
 * It speaks the wire protocol of kube-apiserver for the resources kite uses: discovery, list with
 * resourceVersion/limit/continue and field/label selectors, watch streams with bookmarks and 410 Gone,
 * create/update/patch/delete with optimistic concurrency, status/binding/approval subresources,
 * graceful pod deletion, TokenReview and SubjectAccessReview. Fault hooks: compact history,
 * drop connections, stop/start (restart on the same port), inject errors.
 *
 * Paged lists (continue) and resourceVersionMatch=Exact lists read the state as of their resourceVersion,
 * rebuilt from the watch history. Simplifications (documented in docs/cluster.md): no admission, no
 * validation beyond what kite depends on; one storage version per resource.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { jsonPatch, mergePatch, PatchError, strategicMergePatch } from "./fake/patch.ts";
import { groupVersion, type ResourceDef, resourceDefs, servedGroupVersions } from "./fake/resources.ts";
import {
  type ObjectPredicate,
  parseFieldSelector,
  parseLabelSelector,
  SelectorError,
} from "./fake/selectors.ts";

export type KubeObject = Record<string, unknown> & {
  apiVersion?: string;
  kind?: string;
  metadata?: Record<string, unknown> & {
    name?: string;
    namespace?: string;
    resourceVersion?: string;
    uid?: string;
    deletionTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    finalizers?: string[];
  };
};

export interface UserInfo {
  username: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

export interface FakeApiServerOptions {
  /** gitVersion served at /version; also decides the served group versions. Default v1.31.0. */
  version?: string;
  /** Override individual group versions: {"discovery.k8s.io/v1": false}. */
  served?: Record<string, boolean>;
  /** Serve TLS (cert, key; ca + requestCert to read client certificates). */
  tls?: { cert: string | Buffer; key: string | Buffer; ca?: string | Buffer };
  /** Bearer tokens the server accepts (and TokenReview answers for). */
  tokens?: Record<string, UserInfo>;
  /** When true, requests without a valid client cert or token get 401. Default false (anonymous allowed). */
  requireAuth?: boolean;
  /** Answers SubjectAccessReviews; default denies everything. */
  authorize?: (spec: Record<string, unknown>) => { allowed: boolean; reason?: string };
  /** Signs an approved CSR (PEM CSR in, PEM certificate out). Without it approved CSRs get no certificate. */
  signer?: (csrPem: string, csr: KubeObject) => string | Promise<string>;
  /** Approve every CSR at once (as kubeadm's csrapprover does for node client certificates). */
  autoApproveCsrs?: boolean;
  /** Clock for timestamps (creation, deletion). */
  now?: () => Date;
  /** Client certificate the server uses to call kubelets (pods/log), as --kubelet-client-certificate. */
  kubeletClient?: { cert: string; key: string; ca?: string };
  /** Send BOOKMARK events to watchers that asked for them every this many ms (0 = only on sendBookmarks()). */
  bookmarkIntervalMs?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  contentType: string | undefined;
  user: string | undefined;
  userAgent: string | undefined;
  body: unknown;
}

interface HistoryEntry {
  rv: number;
  storeKey: string;
  type: "ADDED" | "MODIFIED" | "DELETED";
  object: KubeObject;
  old: KubeObject | undefined;
}

interface Watcher {
  storeKey: string;
  namespace: string | undefined;
  matches: ObjectPredicate;
  def: ResourceDef;
  version: string;
  bookmarks: boolean;
  res: ServerResponse;
}

interface Fault {
  method?: string;
  path?: RegExp;
  status: number;
  reason?: string;
  count: number;
}

class HttpError extends Error {
  readonly status: number;
  readonly reason: string;
  readonly details: Record<string, unknown> | undefined;
  constructor(status: number, reason: string, message: string, details?: Record<string, unknown>) {
    super(message);
    this.status = status;
    this.reason = reason;
    this.details = details;
  }
}

function statusBody(
  status: number,
  reason: string,
  message: string,
  details?: Record<string, unknown>,
): KubeObject {
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    reason,
    ...(details ? { details } : {}),
    code: status,
  };
}

const clone = <T>(v: T): T => structuredClone(v);

export class FakeApiServer {
  readonly options: FakeApiServerOptions;
  /** Every request served, oldest first. */
  readonly requests: RecordedRequest[] = [];
  /** Every SubjectAccessReview spec asked. */
  readonly accessReviews: Record<string, unknown>[] = [];
  private readonly stores = new Map<string, Map<string, KubeObject>>();
  private history: HistoryEntry[] = [];
  private rv = 1;
  private compactedRv = 0;
  private readonly watchers = new Set<Watcher>();
  private readonly sockets = new Set<Socket>();
  private readonly faults: Fault[] = [];
  private server: Server | undefined;
  private boundPort = 0;
  private bookmarkTimer: ReturnType<typeof setInterval> | undefined;
  private readonly served: Set<string>;
  private readonly minor: number;

  constructor(options: FakeApiServerOptions = {}) {
    this.options = options;
    const m = /^v(\d+)\.(\d+)/.exec(options.version ?? "v1.31.0");
    this.minor = Number(m?.[2] ?? 31);
    this.served = servedGroupVersions(this.minor);
    for (const [gv, on] of Object.entries(options.served ?? {})) {
      if (on) this.served.add(gv);
      else this.served.delete(gv);
    }
    for (const ns of ["default", "kube-system", "kube-node-lease", "kube-public"]) {
      this.seed("namespaces", {
        metadata: { name: ns },
        spec: { finalizers: ["kubernetes"] },
        status: { phase: "Active" },
      });
    }
  }

  get port(): number {
    return this.boundPort;
  }

  get url(): string {
    return `${this.options.tls ? "https" : "http"}://127.0.0.1:${this.boundPort}`;
  }

  /** The current (newest) resourceVersion. */
  get resourceVersion(): string {
    return String(this.rv);
  }

  /** Starts listening (again, on the same port after a stop). */
  async start(): Promise<void> {
    if (this.server) return;
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res);
    const server = this.options.tls
      ? createHttpsServer(
          {
            cert: this.options.tls.cert,
            key: this.options.tls.key,
            ...(this.options.tls.ca
              ? { ca: this.options.tls.ca, requestCert: true, rejectUnauthorized: false }
              : {}),
          },
          handler,
        )
      : createServer(handler);
    server.on("connection", (s: Socket) => {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
    });
    server.on("secureConnection", (s: Socket) => {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.boundPort, "127.0.0.1", () => resolve());
    });
    this.boundPort = (server.address() as AddressInfo).port;
    this.server = server;
    if (this.options.bookmarkIntervalMs) {
      this.bookmarkTimer = setInterval(() => this.sendBookmarks(), this.options.bookmarkIntervalMs);
    }
  }

  /** Stops listening and cuts every connection (watches end abruptly). The store is kept. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    if (this.bookmarkTimer) clearInterval(this.bookmarkTimer);
    this.bookmarkTimer = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    this.dropConnections();
    await closed;
  }

  /** An API server restart: stop, then start again on the same port. */
  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Destroys every open connection (as a load balancer or network fault would). */
  dropConnections(): void {
    for (const w of this.watchers) w.res.destroy();
    this.watchers.clear();
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  /** Forgets the watch history: watching or continuing from an older resourceVersion now gets 410 Gone. */
  compact(): void {
    this.rv++;
    this.compactedRv = this.rv;
    this.history = [];
  }

  /** Sends a BOOKMARK with the current resourceVersion to every watcher that allows bookmarks. */
  sendBookmarks(): void {
    for (const w of this.watchers) {
      if (!w.bookmarks) continue;
      this.writeEvent(w, "BOOKMARK", {
        kind: w.def.kind,
        apiVersion: groupVersion(w.def.group, w.version),
        metadata: { resourceVersion: String(this.rv) },
      });
    }
  }

  /** Ends every watch stream cleanly (as the server's watch timeout does). */
  endWatches(): void {
    for (const w of this.watchers) w.res.end();
    this.watchers.clear();
  }

  /** The next `count` requests matching method/path fail with this status. */
  injectFault(fault: {
    method?: string;
    path?: RegExp;
    status: number;
    reason?: string;
    count?: number;
  }): void {
    this.faults.push({ ...fault, count: fault.count ?? 1 });
  }

  get watchCount(): number {
    return this.watchers.size;
  }

  // ---- direct store access for tests (bypasses HTTP, still versions and notifies) ----

  get(resource: string, name: string, namespace?: string, group = ""): KubeObject | undefined {
    const obj = this.store(`${group}/${resource}`).get(`${namespace ?? ""}/${name}`);
    return obj ? clone(obj) : undefined;
  }

  list(resource: string, group = ""): KubeObject[] {
    return [...this.store(`${group}/${resource}`).values()].map(clone);
  }

  /** Creates or replaces an object as a controller would. */
  seed(resource: string, obj: KubeObject, group = ""): KubeObject {
    const def = this.def(group, resource);
    const key = this.objectKey(def, obj.metadata?.namespace, obj.metadata?.name ?? "");
    const store = this.store(`${group}/${resource}`);
    const old = store.get(key);
    const next = clone(obj);
    next.metadata = { ...next.metadata };
    if (def.namespaced) next.metadata.namespace = next.metadata.namespace ?? "default";
    next.metadata.uid = old?.metadata?.uid ?? next.metadata.uid ?? randomUUID();
    next.metadata.creationTimestamp = old?.metadata?.creationTimestamp ?? this.now().toISOString();
    if (!old && def.resource === "pods") this.defaultPod(next);
    this.commit(def, key, old ? "MODIFIED" : "ADDED", next, old);
    return clone(next);
  }

  /** Deletes an object at once, as if its grace period were 0. */
  remove(resource: string, name: string, namespace?: string, group = ""): void {
    const def = this.def(group, resource);
    const key = this.objectKey(def, namespace, name);
    const old = this.store(`${group}/${resource}`).get(key);
    if (old) this.commit(def, key, "DELETED", clone(old), old);
  }

  /**
   * One pass of the node lifecycle controller's health check (upstream: every 5 s, grace 40 s): a node whose
   * Lease was not renewed within `graceSeconds` gets Ready=Unknown (and the other conditions Unknown) and the
   * `node.kubernetes.io/unreachable` NoSchedule + NoExecute taints; a node whose kubelet posts Ready=True again
   * after that loses them. Returns the names of nodes marked unreachable in this pass.
   */
  checkNodeHealth(now: Date, graceSeconds = 40): string[] {
    const marked: string[] = [];
    const unreachable = "node.kubernetes.io/unreachable";
    for (const node of this.list("nodes")) {
      const name = node.metadata?.name ?? "";
      const lease = this.get("leases", name, "kube-node-lease", "coordination.k8s.io");
      const renew = Date.parse(String((lease?.spec as { renewTime?: string } | undefined)?.renewTime ?? ""));
      const status = (node.status ?? {}) as {
        conditions?: {
          type: string;
          status: string;
          reason?: string;
          message?: string;
          lastTransitionTime?: string;
        }[];
      };
      const spec = (node.spec ?? {}) as { taints?: { key: string; effect: string; timeAdded?: string }[] };
      const taints = spec.taints ?? [];
      const stale = !Number.isFinite(renew) || now.getTime() - renew > graceSeconds * 1000;
      const ready = status.conditions?.find((c) => c.type === "Ready");
      if (stale && ready?.status !== "Unknown") {
        const stamp = now.toISOString().replace(/\.\d{3}Z$/, "Z");
        node.status = {
          ...status,
          conditions: (status.conditions ?? []).map((c) => ({
            ...c,
            status: "Unknown",
            reason: "NodeStatusUnknown",
            message: "Kubelet stopped posting node status.",
            lastTransitionTime: stamp,
          })),
        };
        node.spec = {
          ...spec,
          taints: [
            ...taints.filter((t) => t.key !== unreachable),
            { key: unreachable, effect: "NoSchedule" },
            { key: unreachable, effect: "NoExecute", timeAdded: stamp },
          ],
        };
        this.seed("nodes", node);
        marked.push(name);
      } else if (!stale && ready?.status === "True" && taints.some((t) => t.key === unreachable)) {
        node.spec = { ...spec, taints: taints.filter((t) => t.key !== unreachable) };
        this.seed("nodes", node);
      }
    }
    return marked;
  }

  /** Approves a CSR (as `kubectl certificate approve`), then signs it if a signer is configured. */
  async approveCsr(name: string): Promise<void> {
    const csr = this.get("certificatesigningrequests", name, undefined, "certificates.k8s.io");
    if (!csr) throw new Error(`csr ${name} not found`);
    const status = (csr.status ?? {}) as Record<string, unknown>;
    const conditions = (status.conditions ?? []) as Record<string, unknown>[];
    conditions.push({
      type: "Approved",
      status: "True",
      reason: "KubectlApprove",
      message: "This CSR was approved by kubectl certificate approve.",
      lastUpdateTime: this.now().toISOString(),
    });
    csr.status = { ...status, conditions };
    this.seed("certificatesigningrequests", csr, "certificates.k8s.io");
    await this.maybeSign(name);
  }

  private async maybeSign(name: string): Promise<void> {
    const csr = this.get("certificatesigningrequests", name, undefined, "certificates.k8s.io");
    const status = (csr?.status ?? {}) as Record<string, unknown>;
    const approved = ((status.conditions ?? []) as { type?: string }[]).some((c) => c.type === "Approved");
    if (!csr || !approved || status.certificate || !this.options.signer) return;
    const pem = Buffer.from(String((csr.spec as Record<string, unknown>).request), "base64").toString("utf8");
    const cert = await this.options.signer(pem, csr);
    csr.status = { ...status, certificate: Buffer.from(cert).toString("base64") };
    this.seed("certificatesigningrequests", csr, "certificates.k8s.io");
  }

  // ---- internals ----

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  private store(key: string): Map<string, KubeObject> {
    let s = this.stores.get(key);
    if (!s) {
      s = new Map();
      this.stores.set(key, s);
    }
    return s;
  }

  /** The objects of one resource as they were at `rv` (the current state with later history undone). */
  private stateAt(storeKey: string, rv: number): Map<string, KubeObject> {
    const state = new Map(this.store(storeKey));
    if (rv >= this.rv) return state;
    for (let i = this.history.length - 1; i >= 0; i--) {
      const e = this.history[i] as HistoryEntry;
      if (e.rv <= rv) break;
      if (e.storeKey !== storeKey) continue;
      const key = `${e.object.metadata?.namespace ?? ""}/${e.object.metadata?.name ?? ""}`;
      if (e.type === "ADDED") state.delete(key);
      else if (e.old) state.set(key, e.old);
    }
    return state;
  }

  private def(group: string, resource: string): ResourceDef {
    const d = resourceDefs.find((r) => r.group === group && r.resource === resource);
    if (!d) throw new Error(`unknown resource ${group}/${resource}`);
    return d;
  }

  private objectKey(def: ResourceDef, namespace: string | undefined, name: string): string {
    return `${def.namespaced ? (namespace ?? "default") : ""}/${name}`;
  }

  private defaultPod(pod: KubeObject): void {
    const status = (pod.status ?? {}) as Record<string, unknown>;
    if (!status.phase) status.phase = "Pending";
    pod.status = status;
    const spec = (pod.spec ?? {}) as Record<string, unknown>;
    if (spec.terminationGracePeriodSeconds === undefined) spec.terminationGracePeriodSeconds = 30;
    if (!spec.restartPolicy) spec.restartPolicy = "Always";
    if (!spec.schedulerName) spec.schedulerName = "default-scheduler";
    pod.spec = spec;
  }

  private commit(
    def: ResourceDef,
    key: string,
    type: HistoryEntry["type"],
    obj: KubeObject,
    old: KubeObject | undefined,
  ): void {
    this.rv++;
    obj.metadata = { ...obj.metadata, resourceVersion: String(this.rv) };
    delete obj.apiVersion;
    delete obj.kind;
    const storeKey = `${def.group}/${def.resource}`;
    if (type === "DELETED") this.store(storeKey).delete(key);
    else this.store(storeKey).set(key, obj);
    const entry: HistoryEntry = {
      rv: this.rv,
      storeKey,
      type,
      object: clone(obj),
      old: old ? clone(old) : undefined,
    };
    this.history.push(entry);
    for (const w of this.watchers) this.dispatch(w, entry);
  }

  private dispatch(w: Watcher, e: HistoryEntry): void {
    if (w.storeKey !== e.storeKey) return;
    const ns = e.object.metadata?.namespace;
    if (w.namespace !== undefined && ns !== w.namespace) return;
    const now = w.matches(e.object);
    const before = e.old !== undefined && w.matches(e.old);
    // A modification that moves an object into or out of the selector is an ADDED or DELETED to this watcher.
    if (e.type === "ADDED") {
      if (now) this.writeEvent(w, "ADDED", this.render(w.def, w.version, e.object));
    } else if (e.type === "DELETED") {
      if (before || now) this.writeEvent(w, "DELETED", this.render(w.def, w.version, e.object));
    } else if (now && before) this.writeEvent(w, "MODIFIED", this.render(w.def, w.version, e.object));
    else if (now) this.writeEvent(w, "ADDED", this.render(w.def, w.version, e.object));
    else if (before) this.writeEvent(w, "DELETED", this.render(w.def, w.version, e.object));
  }

  private writeEvent(w: Watcher, type: string, object: unknown): void {
    if (w.res.writableEnded || w.res.destroyed) return;
    w.res.write(`${JSON.stringify({ type, object })}\n`);
  }

  private render(def: ResourceDef, version: string, obj: KubeObject): KubeObject {
    return { apiVersion: groupVersion(def.group, version), kind: def.kind, ...clone(obj) };
  }

  private async readBody(req: IncomingMessage): Promise<unknown> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (chunks.length === 0) return undefined;
    const text = Buffer.concat(chunks).toString("utf8");
    if (text.trim() === "") return undefined;
    try {
      return JSON.parse(text);
    } catch {
      throw new HttpError(400, "BadRequest", "the request body is not valid JSON");
    }
  }

  private authenticate(req: IncomingMessage): UserInfo | undefined {
    const auth = req.headers.authorization;
    if (auth?.startsWith("Bearer ")) {
      const user = this.options.tokens?.[auth.slice(7)];
      if (!user) throw new HttpError(401, "Unauthorized", "Unauthorized");
      return user;
    }
    const sock = req.socket as TLSSocket;
    if (this.options.tls?.ca && typeof sock.getPeerCertificate === "function" && sock.authorized) {
      const cert = sock.getPeerCertificate();
      if (cert?.subject?.CN) {
        const o = cert.subject.O;
        return { username: String(cert.subject.CN), groups: Array.isArray(o) ? o : o ? [o] : [] };
      }
    }
    if (this.options.requireAuth) throw new HttpError(401, "Unauthorized", "Unauthorized");
    return undefined;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://x");
    const method = req.method ?? "GET";
    try {
      const user = this.authenticate(req);
      const body = ["POST", "PUT", "PATCH", "DELETE"].includes(method) ? await this.readBody(req) : undefined;
      this.requests.push({
        method,
        path: url.pathname,
        query: url.searchParams,
        contentType: req.headers["content-type"],
        user: user?.username,
        userAgent: req.headers["user-agent"],
        body,
      });
      const fault = this.faults.find(
        (f) => f.count > 0 && (!f.method || f.method === method) && (!f.path || f.path.test(url.pathname)),
      );
      if (fault) {
        fault.count--;
        throw new HttpError(fault.status, fault.reason ?? "InternalError", `injected fault ${fault.status}`);
      }
      const result = await this.route(method, url, body, req, res);
      if (result === undefined) return; // streaming
      res.writeHead(result.status, { "content-type": "application/json" });
      res.end(JSON.stringify(result.body));
    } catch (err) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const e =
        err instanceof HttpError
          ? err
          : err instanceof SelectorError || err instanceof PatchError
            ? new HttpError(400, "BadRequest", err.message)
            : new HttpError(500, "InternalError", String((err as Error)?.message ?? err));
      res.writeHead(e.status, { "content-type": "application/json" });
      res.end(JSON.stringify(statusBody(e.status, e.reason, e.message, e.details)));
    }
  }

  private async route(
    method: string,
    url: URL,
    body: unknown,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<{ status: number; body: unknown } | undefined> {
    const p = url.pathname.replace(/\/+$/, "");
    if (p === "/version") {
      const m = /^v(\d+)\.(\d+)/.exec(this.options.version ?? "v1.31.0");
      return {
        status: 200,
        body: {
          major: m?.[1] ?? "1",
          minor: m?.[2] ?? "31",
          gitVersion: this.options.version ?? "v1.31.0",
          gitCommit: "0000000000000000000000000000000000000000",
          gitTreeState: "clean",
          buildDate: "2026-01-01T00:00:00Z",
          goVersion: "go1.22.0",
          compiler: "gc",
          platform: "linux/amd64",
        },
      };
    }
    if (p === "/healthz" || p === "/readyz" || p === "/livez") return { status: 200, body: "ok" };
    if (p === "/api") {
      return {
        status: 200,
        body: {
          kind: "APIVersions",
          versions: ["v1"],
          serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress: `127.0.0.1:${this.port}` }],
        },
      };
    }
    if (p === "/apis") return { status: 200, body: this.groupList() };
    const segs = p.split("/").filter(Boolean);
    let group: string;
    let version: string;
    let rest: string[];
    if (segs[0] === "api" && segs.length >= 2) {
      group = "";
      version = segs[1] ?? "";
      rest = segs.slice(2);
    } else if (segs[0] === "apis" && segs.length >= 2) {
      group = segs[1] ?? "";
      if (segs.length === 2) {
        const g = this.groupList().groups.find((x) => x.name === group);
        if (!g) throw new HttpError(404, "NotFound", "the server could not find the requested resource");
        return { status: 200, body: { kind: "APIGroup", apiVersion: "v1", ...g } };
      }
      version = segs[2] ?? "";
      rest = segs.slice(3);
    } else throw new HttpError(404, "NotFound", "the server could not find the requested resource");
    if (!this.served.has(groupVersion(group, version))) {
      throw new HttpError(404, "NotFound", "the server could not find the requested resource");
    }
    if (rest.length === 0 && method === "GET")
      return { status: 200, body: this.resourceList(group, version) };
    let namespace: string | undefined;
    if (rest[0] === "namespaces" && rest.length >= 3) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    const [resource = "", name, sub] = rest;
    const def = resourceDefs.find(
      (d) => d.group === group && d.versions.includes(version) && d.resource === resource,
    );
    if (!def || rest.length > 3)
      throw new HttpError(404, "NotFound", "the server could not find the requested resource");
    if (!def.namespaced && namespace !== undefined)
      throw new HttpError(404, "NotFound", "the server could not find the requested resource");
    if (sub !== undefined && !def.subresources.includes(sub)) {
      throw new HttpError(404, "NotFound", "the server could not find the requested resource");
    }
    const ctx = { def, version, namespace, url, req, res };
    if (def.review) {
      if (method !== "POST" || name !== undefined)
        throw new HttpError(
          405,
          "MethodNotAllowed",
          "the server does not allow this method on the requested resource",
        );
      return this.review(ctx, body);
    }
    if (name === undefined) {
      if (method === "GET") {
        const watch = url.searchParams.get("watch");
        if (watch === "true" || watch === "1") return this.watch(ctx);
        return this.listObjects(ctx);
      }
      if (method === "POST") {
        if (def.namespaced && namespace === undefined)
          throw new HttpError(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
          );
        return this.create(ctx, body);
      }
      if (method === "DELETE") return this.deleteCollection(ctx);
      throw new HttpError(
        405,
        "MethodNotAllowed",
        "the server does not allow this method on the requested resource",
      );
    }
    if (def.namespaced && namespace === undefined)
      throw new HttpError(404, "NotFound", "the server could not find the requested resource");
    if (sub === "log") {
      if (method !== "GET")
        throw new HttpError(
          405,
          "MethodNotAllowed",
          "the server does not allow this method on the requested resource",
        );
      await this.proxyLog(namespace ?? "default", name, url, res);
      return undefined;
    }
    if (sub === "binding") {
      if (method !== "POST")
        throw new HttpError(
          405,
          "MethodNotAllowed",
          "the server does not allow this method on the requested resource",
        );
      return this.bind(namespace ?? "default", name, body as KubeObject);
    }
    switch (method) {
      case "GET": {
        const obj = this.mustGet(def, namespace, name);
        return { status: 200, body: this.render(def, version, obj) };
      }
      case "PUT": {
        const out = this.update(ctx, name, sub, body as KubeObject);
        if (sub === "approval") await this.maybeSign(name);
        return out;
      }
      case "PATCH":
        return this.patch(ctx, name, sub, body, req.headers["content-type"] ?? "");
      case "DELETE":
        if (sub)
          throw new HttpError(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
          );
        return this.deleteOne(ctx, name, body as Record<string, unknown> | undefined);
      default:
        throw new HttpError(
          405,
          "MethodNotAllowed",
          "the server does not allow this method on the requested resource",
        );
    }
  }

  /** pods/log: proxied to the pod's kubelet (InternalIP:daemonEndpoints port) with the kubelet client certificate. */
  private async proxyLog(namespace: string, name: string, url: URL, res: ServerResponse): Promise<void> {
    const pod = this.mustGet(this.def("", "pods"), namespace, name);
    const spec = (pod.spec ?? {}) as { nodeName?: string; containers?: { name: string }[] };
    if (!spec.nodeName) throw new HttpError(400, "BadRequest", `pod ${name} does not have a host assigned`);
    const node = this.get("nodes", spec.nodeName);
    const status = (node?.status ?? {}) as {
      addresses?: { type: string; address: string }[];
      daemonEndpoints?: { kubeletEndpoint?: { Port?: number } };
    };
    const host = status.addresses?.find((a) => a.type === "InternalIP")?.address;
    const port = status.daemonEndpoints?.kubeletEndpoint?.Port;
    if (!host || !port)
      throw new HttpError(500, "InternalError", `node ${spec.nodeName} has no kubelet endpoint`);
    const container = url.searchParams.get("container") ?? spec.containers?.[0]?.name ?? "";
    const query = new URLSearchParams();
    for (const k of ["follow", "previous", "tailLines", "limitBytes", "sinceSeconds", "timestamps"]) {
      const v = url.searchParams.get(k);
      if (v !== null) query.set(k, v);
    }
    const { request } = await import("node:https");
    await new Promise<void>((resolve, reject) => {
      const req = request(
        {
          host,
          port,
          path: `/containerLogs/${namespace}/${name}/${container}${query.size ? `?${query}` : ""}`,
          ...(this.options.kubeletClient ?? {}),
          rejectUnauthorized: !!this.options.kubeletClient?.ca,
          agent: false,
        },
        (up) => {
          res.writeHead(up.statusCode ?? 502, { "content-type": up.headers["content-type"] ?? "text/plain" });
          up.pipe(res);
          up.on("end", resolve);
        },
      );
      req.on("error", (err) =>
        reject(new HttpError(502, "ServiceUnavailable", `error dialing backend: ${err.message}`)),
      );
      req.end();
    });
  }

  private groupList(): {
    kind: string;
    apiVersion: string;
    groups: {
      name: string;
      versions: { groupVersion: string; version: string }[];
      preferredVersion: { groupVersion: string; version: string };
    }[];
  } {
    const groups = new Map<string, string[]>();
    for (const d of resourceDefs) {
      if (d.group === "") continue;
      for (const v of d.versions) {
        if (!this.served.has(groupVersion(d.group, v))) continue;
        const list = groups.get(d.group) ?? [];
        if (!list.includes(v)) list.push(v);
        groups.set(d.group, list);
      }
    }
    return {
      kind: "APIGroupList",
      apiVersion: "v1",
      groups: [...groups].map(([name, versions]) => {
        const gvs = versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
        return { name, versions: gvs, preferredVersion: gvs[0] as { groupVersion: string; version: string } };
      }),
    };
  }

  private resourceList(group: string, version: string): unknown {
    const resources: unknown[] = [];
    for (const d of resourceDefs) {
      if (d.group !== group || !d.versions.includes(version)) continue;
      resources.push({
        name: d.resource,
        singularName: d.kind.toLowerCase(),
        namespaced: d.namespaced,
        kind: d.kind,
        verbs: d.verbs,
      });
      for (const s of d.subresources) {
        resources.push({
          name: `${d.resource}/${s}`,
          singularName: "",
          namespaced: d.namespaced,
          kind: s === "binding" ? "Binding" : d.kind,
          verbs: s === "binding" ? ["create"] : ["get", "patch", "update"],
        });
      }
    }
    return {
      kind: "APIResourceList",
      apiVersion: "v1",
      groupVersion: groupVersion(group, version),
      resources,
    };
  }

  private mustGet(def: ResourceDef, namespace: string | undefined, name: string): KubeObject {
    const obj = this.store(`${def.group}/${def.resource}`).get(this.objectKey(def, namespace, name));
    if (!obj) throw this.notFound(def, name);
    return obj;
  }

  private notFound(def: ResourceDef, name: string): HttpError {
    const what = def.group ? `${def.resource}.${def.group}` : def.resource;
    return new HttpError(404, "NotFound", `${what} "${name}" not found`, {
      name,
      group: def.group || undefined,
      kind: def.resource,
    });
  }

  private conflict(def: ResourceDef, name: string, why: string): HttpError {
    const what = def.group ? `${def.resource}.${def.group}` : def.resource;
    return new HttpError(409, "Conflict", `Operation cannot be fulfilled on ${what} "${name}": ${why}`, {
      name,
      group: def.group || undefined,
      kind: def.resource,
    });
  }

  private selection(def: ResourceDef, namespace: string | undefined, url: URL): ObjectPredicate {
    const field = parseFieldSelector(url.searchParams.get("fieldSelector"));
    const label = parseLabelSelector(url.searchParams.get("labelSelector"));
    return (obj) =>
      (namespace === undefined || !def.namespaced || (obj as KubeObject).metadata?.namespace === namespace) &&
      field(obj) &&
      label(obj);
  }

  private listObjects(ctx: { def: ResourceDef; version: string; namespace: string | undefined; url: URL }): {
    status: number;
    body: unknown;
  } {
    const { def, version, namespace, url } = ctx;
    const matches = this.selection(def, namespace, url);
    const limit = Number(url.searchParams.get("limit") ?? "0");
    const cont = url.searchParams.get("continue");
    let listRv = this.rv;
    let after = "";
    if (cont) {
      let token: { rv: number; start: string };
      try {
        token = JSON.parse(Buffer.from(cont, "base64url").toString("utf8"));
      } catch {
        throw new HttpError(400, "BadRequest", "continue key is not valid");
      }
      if (token.rv < this.compactedRv) {
        throw new HttpError(
          410,
          "Expired",
          "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results.",
        );
      }
      listRv = token.rv;
      after = token.start;
    } else {
      const asked = url.searchParams.get("resourceVersion");
      const match = url.searchParams.get("resourceVersionMatch");
      if (asked && asked !== "0" && match === "Exact") {
        if (Number(asked) < this.compactedRv) {
          throw new HttpError(410, "Expired", `too old resource version: ${asked} (${this.compactedRv})`);
        }
        if (Number(asked) <= this.rv) listRv = Number(asked);
      }
      if (asked && asked !== "0" && Number(asked) > this.rv) {
        throw new HttpError(504, "Timeout", `Too large resource version: ${asked}, current: ${this.rv}`, {
          causes: [{ reason: "ResourceVersionTooLarge", message: "Too large resource version" }],
          retryAfterSeconds: 1,
        });
      }
    }
    const all = [...this.stateAt(`${def.group}/${def.resource}`, listRv).entries()]
      .filter(([k, o]) => k > after && matches(o))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const page = limit > 0 ? all.slice(0, limit) : all;
    const more = limit > 0 && all.length > limit;
    const metadata: Record<string, unknown> = { resourceVersion: String(listRv) };
    if (more) {
      const last = page[page.length - 1]?.[0] ?? "";
      metadata.continue = Buffer.from(JSON.stringify({ rv: listRv, start: last })).toString("base64url");
      metadata.remainingItemCount = all.length - page.length;
    }
    return {
      status: 200,
      body: {
        kind: `${def.kind}List`,
        apiVersion: groupVersion(def.group, version),
        metadata,
        items: page.map(([, o]) => clone(o)),
      },
    };
  }

  private watch(ctx: {
    def: ResourceDef;
    version: string;
    namespace: string | undefined;
    url: URL;
    res: ServerResponse;
  }): undefined {
    const { def, version, namespace, url, res } = ctx;
    const matches = this.selection(def, namespace, url);
    const w: Watcher = {
      storeKey: `${def.group}/${def.resource}`,
      namespace: def.namespaced ? namespace : undefined,
      matches,
      def,
      version,
      bookmarks: url.searchParams.get("allowWatchBookmarks") === "true",
      res,
    };
    res.writeHead(200, { "content-type": "application/json", "transfer-encoding": "chunked" });
    res.flushHeaders();
    const asked = url.searchParams.get("resourceVersion") ?? "";
    if (asked === "" || asked === "0") {
      for (const o of this.store(w.storeKey).values())
        if (matches(o)) this.writeEvent(w, "ADDED", this.render(def, version, o));
    } else {
      const from = Number(asked);
      if (!Number.isFinite(from) || from < this.compactedRv) {
        this.writeEvent(
          w,
          "ERROR",
          statusBody(410, "Expired", `too old resource version: ${asked} (${this.compactedRv})`),
        );
        res.end();
        return undefined;
      }
      for (const e of this.history) if (e.rv > from) this.dispatch(w, e);
    }
    this.watchers.add(w);
    const timeout = Number(url.searchParams.get("timeoutSeconds") ?? "0");
    const timer = timeout > 0 ? setTimeout(() => res.end(), timeout * 1000) : undefined;
    const done = () => {
      if (timer) clearTimeout(timer);
      this.watchers.delete(w);
    };
    res.on("close", done);
    res.on("finish", done);
    return undefined;
  }

  private create(
    ctx: { def: ResourceDef; version: string; namespace: string | undefined; url: URL },
    body: unknown,
  ): { status: number; body: unknown } {
    const { def, version, namespace } = ctx;
    const obj = clone((body ?? {}) as KubeObject);
    const meta = { ...(obj.metadata ?? {}) };
    if (!meta.name) {
      if (typeof meta.generateName === "string" && meta.generateName)
        meta.name = `${meta.generateName}${randomUUID().slice(0, 5)}`;
      else
        throw new HttpError(
          422,
          "Invalid",
          `${def.kind} "" is invalid: metadata.name: Required value: name or generateName is required`,
        );
    }
    if (def.namespaced) {
      if (meta.namespace && meta.namespace !== namespace) {
        throw new HttpError(
          400,
          "BadRequest",
          "the namespace of the provided object does not match the namespace sent on the request",
        );
      }
      meta.namespace = namespace;
    }
    const key = this.objectKey(def, namespace, meta.name);
    const store = this.store(`${def.group}/${def.resource}`);
    if (store.has(key)) {
      const what = def.group ? `${def.resource}.${def.group}` : def.resource;
      throw new HttpError(409, "AlreadyExists", `${what} "${meta.name}" already exists`, {
        name: meta.name,
        group: def.group || undefined,
        kind: def.resource,
      });
    }
    if (ctx.url.searchParams.get("dryRun") === "All")
      return { status: 201, body: this.render(def, version, { ...obj, metadata: meta }) };
    meta.uid = randomUUID();
    meta.creationTimestamp = this.now().toISOString();
    delete meta.resourceVersion;
    delete meta.deletionTimestamp;
    if (def.subresources.includes("status")) meta.generation = 1;
    obj.metadata = meta;
    if (def.resource === "pods") this.defaultPod(obj);
    if (def.resource === "certificatesigningrequests") obj.status = {};
    this.commit(def, key, "ADDED", obj, undefined);
    if (def.resource === "certificatesigningrequests" && this.options.autoApproveCsrs) {
      const name = meta.name;
      setTimeout(() => void this.approveCsr(name).catch(() => {}), 0);
    }
    return { status: 201, body: this.render(def, version, obj) };
  }

  /** Applies an update of the main resource or a subresource with the API server's field rules. */
  private applyUpdate(
    def: ResourceDef,
    old: KubeObject,
    next: KubeObject,
    sub: string | undefined,
  ): KubeObject {
    const out = clone(next);
    const oldMeta = old.metadata ?? {};
    const keep = [
      "uid",
      "creationTimestamp",
      "deletionTimestamp",
      "deletionGracePeriodSeconds",
      "name",
      "namespace",
      "generation",
    ];
    out.metadata = { ...(out.metadata ?? {}) };
    for (const k of keep) {
      if (oldMeta[k] === undefined) delete out.metadata[k];
      else out.metadata[k] = oldMeta[k];
    }
    if (sub === "status" || sub === "approval") {
      // Status writes never touch spec.
      for (const k of Object.keys(old)) if (k !== "status" && k !== "metadata") out[k] = clone(old[k]);
      for (const k of Object.keys(out)) if (k !== "status" && k !== "metadata" && !(k in old)) delete out[k];
      if (sub === "approval") {
        const conds = ((out.status as Record<string, unknown> | undefined)?.conditions ?? []) as unknown[];
        out.status = { ...((old.status as Record<string, unknown>) ?? {}), conditions: conds };
      }
      out.metadata.ownerReferences = oldMeta.ownerReferences;
      if (out.metadata.ownerReferences === undefined) delete out.metadata.ownerReferences;
    } else if (def.subresources.includes("status")) {
      // Main-resource writes never touch status.
      if (old.status === undefined) delete out.status;
      else out.status = clone(old.status);
      if (JSON.stringify(old.spec) !== JSON.stringify(out.spec) && typeof oldMeta.generation === "number") {
        out.metadata.generation = oldMeta.generation + 1;
      }
    }
    if (def.resource === "pods" && sub === undefined) {
      const oldSpec = (old.spec ?? {}) as Record<string, unknown>;
      const newSpec = (out.spec ?? {}) as Record<string, unknown>;
      if (oldSpec.nodeName && newSpec.nodeName !== oldSpec.nodeName) {
        throw new HttpError(
          422,
          "Invalid",
          `Pod "${oldMeta.name}" is invalid: spec: Forbidden: pod updates may not change fields other than spec.containers[*].image, spec.initContainers[*].image, spec.activeDeadlineSeconds, spec.tolerations (only additions to existing tolerations), spec.terminationGracePeriodSeconds (allow it to be set to 1 if it was previously negative)`,
        );
      }
    }
    return out;
  }

  private finishUpdate(
    def: ResourceDef,
    version: string,
    key: string,
    old: KubeObject,
    out: KubeObject,
  ): { status: number; body: unknown } {
    const oldFinalizers = old.metadata?.finalizers ?? [];
    const newFinalizers = out.metadata?.finalizers ?? [];
    if (
      out.metadata?.deletionTimestamp &&
      oldFinalizers.length > 0 &&
      newFinalizers.length === 0 &&
      def.resource !== "pods"
    ) {
      this.commit(def, key, "DELETED", out, old);
      return { status: 200, body: this.render(def, version, out) };
    }
    const comparable = (o: KubeObject) =>
      JSON.stringify({ ...o, metadata: { ...o.metadata, resourceVersion: undefined } });
    if (comparable(old) === comparable(out)) {
      // A no-op write does not bump resourceVersion, as in the real server.
      return { status: 200, body: this.render(def, version, old) };
    }
    this.commit(def, key, "MODIFIED", out, old);
    return { status: 200, body: this.render(def, version, out) };
  }

  private update(
    ctx: { def: ResourceDef; version: string; namespace: string | undefined },
    name: string,
    sub: string | undefined,
    body: KubeObject,
  ): { status: number; body: unknown } {
    const { def, version, namespace } = ctx;
    if (!body || typeof body !== "object")
      throw new HttpError(400, "BadRequest", "the request body is missing");
    if (body.metadata?.name && body.metadata.name !== name) {
      throw new HttpError(400, "BadRequest", "the name of the object does not match the name on the URL");
    }
    const key = this.objectKey(def, namespace, name);
    const old = this.store(`${def.group}/${def.resource}`).get(key);
    if (!old) {
      if (sub) throw this.notFound(def, name);
      // PUT creates when the object does not exist (AllowCreateOnUpdate) for leases, nodes, endpoints, ...
      if (["pods", "certificatesigningrequests"].includes(def.resource)) throw this.notFound(def, name);
      return this.create(
        { ...ctx, url: new URL("http://x/") },
        { ...body, metadata: { ...body.metadata, name } },
      );
    }
    const asked = body.metadata?.resourceVersion;
    if (asked !== undefined && asked !== "" && asked !== old.metadata?.resourceVersion) {
      throw this.conflict(
        def,
        name,
        "the object has been modified; please apply your changes to the latest version and try again",
      );
    }
    if (
      asked === undefined &&
      ["pods", "certificatesigningrequests"].includes(def.resource) &&
      sub === undefined
    ) {
      // Unconditional updates are allowed by most strategies; kept permissive here.
    }
    const out = this.applyUpdate(def, old, body, sub);
    return this.finishUpdate(def, version, key, old, out);
  }

  private patch(
    ctx: { def: ResourceDef; version: string; namespace: string | undefined },
    name: string,
    sub: string | undefined,
    body: unknown,
    contentType: string,
  ): { status: number; body: unknown } {
    const { def, version, namespace } = ctx;
    const key = this.objectKey(def, namespace, name);
    const old = this.store(`${def.group}/${def.resource}`).get(key);
    if (!old) throw this.notFound(def, name);
    const type = contentType.split(";")[0]?.trim();
    let patched: unknown;
    if (type === "application/merge-patch+json") patched = mergePatch(clone(old), body);
    else if (type === "application/strategic-merge-patch+json")
      patched = strategicMergePatch(clone(old), body);
    else if (type === "application/json-patch+json") patched = jsonPatch(clone(old), body);
    else
      throw new HttpError(
        415,
        "UnsupportedMediaType",
        `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`,
      );
    const next = patched as KubeObject;
    if (next.metadata?.uid !== old.metadata?.uid) {
      throw this.conflict(
        def,
        name,
        `Precondition failed: UID in precondition: ${next.metadata?.uid}, UID in object meta: ${old.metadata?.uid}`,
      );
    }
    const asked = next.metadata?.resourceVersion;
    if (asked !== undefined && asked !== old.metadata?.resourceVersion) {
      throw this.conflict(
        def,
        name,
        "the object has been modified; please apply your changes to the latest version and try again",
      );
    }
    const out = this.applyUpdate(def, old, next, sub);
    return this.finishUpdate(def, version, key, old, out);
  }

  private deleteOne(
    ctx: { def: ResourceDef; version: string; namespace: string | undefined; url: URL },
    name: string,
    body: Record<string, unknown> | undefined,
  ): { status: number; body: unknown } {
    const { def, version, namespace, url } = ctx;
    const key = this.objectKey(def, namespace, name);
    const old = this.mustGet(def, namespace, name);
    const pre = (body?.preconditions ?? {}) as { uid?: string; resourceVersion?: string };
    if (pre.uid && pre.uid !== old.metadata?.uid) {
      throw this.conflict(
        def,
        name,
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${old.metadata?.uid}`,
      );
    }
    if (pre.resourceVersion && pre.resourceVersion !== old.metadata?.resourceVersion) {
      throw this.conflict(
        def,
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${old.metadata?.resourceVersion}`,
      );
    }
    const q = url.searchParams.get("gracePeriodSeconds");
    const askedGrace =
      body?.gracePeriodSeconds !== undefined
        ? Number(body.gracePeriodSeconds)
        : q !== null
          ? Number(q)
          : undefined;
    const finalizers = old.metadata?.finalizers ?? [];
    if (def.resource === "pods") {
      const spec = (old.spec ?? {}) as Record<string, unknown>;
      const phase = (old.status as Record<string, unknown> | undefined)?.phase;
      let grace = askedGrace ?? Number(spec.terminationGracePeriodSeconds ?? 30);
      // Unscheduled or finished pods go at once (pod strategy CheckGracefulDelete).
      if (!spec.nodeName || phase === "Succeeded" || phase === "Failed") grace = 0;
      const current = old.metadata?.deletionGracePeriodSeconds as number | undefined;
      if (grace > 0 || (old.metadata?.deletionTimestamp && finalizers.length > 0)) {
        if (old.metadata?.deletionTimestamp && current !== undefined && grace >= current) {
          return { status: 200, body: this.render(def, version, old) };
        }
        const out = clone(old);
        out.metadata = {
          ...out.metadata,
          deletionTimestamp: new Date(this.now().getTime() + grace * 1000).toISOString(),
          deletionGracePeriodSeconds: grace,
        };
        this.commit(def, key, "MODIFIED", out, old);
        return { status: 200, body: this.render(def, version, out) };
      }
    } else if (finalizers.length > 0) {
      if (old.metadata?.deletionTimestamp) return { status: 200, body: this.render(def, version, old) };
      const out = clone(old);
      out.metadata = {
        ...out.metadata,
        deletionTimestamp: this.now().toISOString(),
        deletionGracePeriodSeconds: 0,
      };
      this.commit(def, key, "MODIFIED", out, old);
      return { status: 200, body: this.render(def, version, out) };
    }
    const gone = clone(old);
    this.commit(def, key, "DELETED", gone, old);
    if (def.resource === "pods") return { status: 200, body: this.render(def, version, gone) };
    return {
      status: 200,
      body: {
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Success",
        details: { name, group: def.group || undefined, kind: def.resource, uid: old.metadata?.uid },
      },
    };
  }

  private deleteCollection(ctx: {
    def: ResourceDef;
    version: string;
    namespace: string | undefined;
    url: URL;
  }): { status: number; body: unknown } {
    const { def, namespace, url } = ctx;
    const matches = this.selection(def, namespace, url);
    for (const o of [...this.store(`${def.group}/${def.resource}`).values()]) {
      if (matches(o))
        this.deleteOne({ ...ctx, namespace: o.metadata?.namespace }, o.metadata?.name ?? "", {
          gracePeriodSeconds: url.searchParams.get("gracePeriodSeconds") ?? undefined,
        });
    }
    return {
      status: 200,
      body: {
        kind: `${def.kind}List`,
        apiVersion: groupVersion(def.group, ctx.version),
        metadata: { resourceVersion: String(this.rv) },
        items: [],
      },
    };
  }

  private bind(namespace: string, name: string, binding: KubeObject): { status: number; body: unknown } {
    const def = this.def("", "pods");
    const target = (binding?.target ?? {}) as { name?: string; kind?: string };
    if (!target.name)
      throw new HttpError(422, "Invalid", `Binding "${name}" is invalid: target.name: Required value`);
    const key = this.objectKey(def, namespace, name);
    const old = this.mustGet(def, namespace, name);
    const bindingUid = binding.metadata?.uid;
    if (bindingUid && bindingUid !== old.metadata?.uid) {
      throw this.conflict(
        def,
        name,
        `Precondition failed: UID in precondition: ${bindingUid}, UID in object meta: ${old.metadata?.uid}`,
      );
    }
    const spec = (old.spec ?? {}) as Record<string, unknown>;
    if (old.metadata?.deletionTimestamp)
      throw this.conflict(def, name, "pod is being deleted, cannot be assigned to a host");
    if (spec.nodeName)
      throw this.conflict(def, name, `pod ${name} is already assigned to node "${spec.nodeName}"`);
    const out = clone(old);
    out.spec = { ...spec, nodeName: target.name };
    const status = (out.status ?? {}) as Record<string, unknown>;
    const conds = ((status.conditions ?? []) as { type?: string }[]).filter((c) => c.type !== "PodScheduled");
    conds.push({ type: "PodScheduled", status: "True", lastTransitionTime: this.now().toISOString() } as {
      type: string;
    });
    out.status = { ...status, conditions: conds };
    this.commit(def, key, "MODIFIED", out, old);
    return {
      status: 201,
      body: { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", code: 201 },
    };
  }

  private async review(
    ctx: { def: ResourceDef; version: string; namespace: string | undefined },
    body: unknown,
  ): Promise<{ status: number; body: unknown }> {
    const obj = clone((body ?? {}) as KubeObject);
    const spec = (obj.spec ?? {}) as Record<string, unknown>;
    if (ctx.def.resource === "bindings") {
      const name = obj.metadata?.name;
      if (!name) throw new HttpError(422, "Invalid", "Binding is invalid: metadata.name: Required value");
      return this.bind(ctx.namespace ?? "default", name, obj);
    }
    if (ctx.def.resource === "tokenreviews") {
      const user = this.options.tokens?.[String(spec.token ?? "")];
      obj.status = user
        ? { authenticated: true, user, audiences: spec.audiences ?? [] }
        : { authenticated: false, error: "invalid bearer token" };
    } else {
      this.accessReviews.push(clone(spec));
      const verdict = this.options.authorize?.(spec) ?? { allowed: false };
      obj.status = { allowed: verdict.allowed, ...(verdict.reason ? { reason: verdict.reason } : {}) };
    }
    return {
      status: 201,
      body: { apiVersion: groupVersion(ctx.def.group, ctx.version), kind: ctx.def.kind, ...obj },
    };
  }
}

/** Starts a fake API server (and stops it with `await server.stop()`). */
export async function startFakeApiServer(options: FakeApiServerOptions = {}): Promise<FakeApiServer> {
  const server = new FakeApiServer(options);
  await server.start();
  return server;
}
