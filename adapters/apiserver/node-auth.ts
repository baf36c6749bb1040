/**
 * Authentication and authorization for the node's 10250 port, as the kubelet does it in a cluster:
 * - x509: a client certificate signed by --client-ca-file (user = CN, groups = O);
 * - webhook: a bearer token checked with a TokenReview;
 * - then a SubjectAccessReview for verb + nodes/<subresource> on this node.
 * Decisions are cached (authn 2 min, allowed 5 min, denied 30 s, as the kubelet's webhook defaults).
 */
import { X509Certificate } from "node:crypto";
import type { TLSSocket } from "node:tls";
import type { MiddlewareHandler } from "hono";
import type { Logger } from "../log/logger.ts";
import type { KubeClient } from "./kube-client.ts";

export interface AuthenticatedUser {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

export interface NodeAuthOptions {
  /** Client used for TokenReview and SubjectAccessReview. */
  client?: KubeClient;
  nodeName: string;
  /** --client-ca-file contents (PEM, may hold several CAs). Without it client certificates are not accepted. */
  clientCa?: string;
  /** --anonymous-auth (default false): unauthenticated requests become system:anonymous. */
  anonymous?: boolean;
  /** --authorization-mode: Webhook (default) or AlwaysAllow. */
  authorizationMode?: "Webhook" | "AlwaysAllow";
  /** --authentication-token-webhook (default true when a client is given). */
  tokenWebhook?: boolean;
  now?: () => number;
  log?: Logger;
}

/** The attributes a request maps to (kubelet server auth.go GetRequestAttributes). */
export function requestAttributes(
  method: string,
  path: string,
  nodeName: string,
): { verb: string; resource: string; subresource: string; name: string } {
  const verbs: Record<string, string> = {
    GET: "get",
    HEAD: "get",
    POST: "create",
    PUT: "update",
    PATCH: "patch",
    DELETE: "delete",
  };
  const verb = verbs[method.toUpperCase()] ?? method.toLowerCase();
  const seg = path.split("/").filter(Boolean)[0] ?? "";
  const subresource =
    seg === "stats"
      ? "stats"
      : seg === "metrics"
        ? "metrics"
        : seg === "logs"
          ? "log"
          : seg === "checkpoint"
            ? "checkpoint"
            : "proxy";
  return { verb, resource: "nodes", subresource, name: nodeName };
}

function pemBlocks(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
}

/** Verifies a DER/PEM client certificate against the CA bundle; returns the user or a reason. */
export function verifyClientCert(raw: Buffer, cas: X509Certificate[], now: Date): AuthenticatedUser | string {
  const cert = new X509Certificate(raw);
  if (now < new Date(cert.validFrom) || now > new Date(cert.validTo))
    return "certificate has expired or is not yet valid";
  const issuer = cas.find((ca) => cert.checkIssued(ca) && cert.verify(ca.publicKey));
  if (!issuer) return "certificate signed by unknown authority";
  if (cert.keyUsage && !cert.keyUsage.includes("1.3.6.1.5.5.7.3.2") && !cert.keyUsage.includes("2.5.29.37.0"))
    return "certificate is not for client authentication";
  const fields = new Map<string, string[]>();
  for (const line of cert.subject.split("\n")) {
    const i = line.indexOf("=");
    if (i < 0) continue;
    const k = line.slice(0, i);
    fields.set(k, [...(fields.get(k) ?? []), line.slice(i + 1)]);
  }
  const cn = fields.get("CN")?.[0];
  if (!cn) return "certificate has no common name";
  return { username: cn, groups: [...(fields.get("O") ?? []), "system:authenticated"] };
}

interface CacheEntry<T> {
  value: T;
  expires: number;
}

export function nodeAuth(options: NodeAuthOptions): MiddlewareHandler {
  const cas = options.clientCa ? pemBlocks(options.clientCa).map((p) => new X509Certificate(p)) : [];
  const now = () => options.now?.() ?? Date.now();
  const tokenCache = new Map<string, CacheEntry<AuthenticatedUser | undefined>>();
  const sarCache = new Map<string, CacheEntry<{ allowed: boolean; reason: string }>>();

  async function fromToken(token: string): Promise<AuthenticatedUser | undefined> {
    const hit = tokenCache.get(token);
    if (hit && hit.expires > now()) return hit.value;
    if (!options.client || options.tokenWebhook === false) return undefined;
    const review = await options.client.create<{
      status?: {
        authenticated?: boolean;
        user?: { username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> };
      };
    }>("/apis/authentication.k8s.io/v1/tokenreviews", {
      apiVersion: "authentication.k8s.io/v1",
      kind: "TokenReview",
      spec: { token },
    });
    const u = review.status?.authenticated && review.status.user?.username ? review.status.user : undefined;
    const user = u
      ? {
          username: u.username ?? "",
          groups: u.groups ?? [],
          ...(u.uid ? { uid: u.uid } : {}),
          ...(u.extra ? { extra: u.extra } : {}),
        }
      : undefined;
    tokenCache.set(token, { value: user, expires: now() + 120_000 });
    return user;
  }

  async function authorize(
    user: AuthenticatedUser,
    attrs: ReturnType<typeof requestAttributes>,
  ): Promise<{ allowed: boolean; reason: string }> {
    if (options.authorizationMode === "AlwaysAllow") return { allowed: true, reason: "" };
    const key = JSON.stringify([user, attrs]);
    const hit = sarCache.get(key);
    if (hit && hit.expires > now()) return hit.value;
    if (!options.client) return { allowed: false, reason: "no authorizer configured" };
    const sar = await options.client.create<{ status?: { allowed?: boolean; reason?: string } }>(
      "/apis/authorization.k8s.io/v1/subjectaccessreviews",
      {
        apiVersion: "authorization.k8s.io/v1",
        kind: "SubjectAccessReview",
        spec: {
          user: user.username,
          ...(user.uid ? { uid: user.uid } : {}),
          groups: user.groups,
          ...(user.extra ? { extra: user.extra } : {}),
          resourceAttributes: { ...attrs, version: "v1" },
        },
      },
    );
    const value = { allowed: sar.status?.allowed === true, reason: sar.status?.reason ?? "" };
    sarCache.set(key, { value, expires: now() + (value.allowed ? 300_000 : 30_000) });
    return value;
  }

  return async (c, next) => {
    let user: AuthenticatedUser | undefined;
    let why = "";
    const auth = c.req.header("authorization");
    try {
      if (auth?.startsWith("Bearer ")) {
        user = await fromToken(auth.slice(7).trim());
        if (!user) why = "invalid bearer token";
      } else {
        const socket = (c.env as { incoming?: { socket?: TLSSocket } } | undefined)?.incoming?.socket;
        const peer =
          typeof socket?.getPeerCertificate === "function" ? socket.getPeerCertificate() : undefined;
        if (peer?.raw && cas.length > 0) {
          const r = verifyClientCert(peer.raw, cas, new Date(now()));
          if (typeof r === "string") why = r;
          else user = r;
        }
      }
    } catch (err) {
      options.log?.warn("authentication failed", { err });
      return c.text("Unauthorized", 401);
    }
    if (!user && !why && options.anonymous)
      user = { username: "system:anonymous", groups: ["system:unauthenticated"] };
    if (!user) {
      options.log?.debug("unauthorized request to kubelet API", { path: c.req.path, reason: why });
      return c.text("Unauthorized", 401);
    }
    const attrs = requestAttributes(c.req.method, c.req.path, options.nodeName);
    let decision: { allowed: boolean; reason: string };
    try {
      decision = await authorize(user, attrs);
    } catch (err) {
      options.log?.warn("authorization failed", { err });
      return c.text("Forbidden", 403);
    }
    if (!decision.allowed) {
      return c.text(
        `Forbidden (user=${user.username}, verb=${attrs.verb}, resource=${attrs.resource}, subresource(s)=[${attrs.subresource}])`,
        403,
      );
    }
    c.set("user" as never, user as never);
    await next();
  };
}
