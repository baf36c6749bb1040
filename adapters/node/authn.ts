import { readFileSync } from "node:fs";
import type { TLSSocket } from "node:tls";
import { KiteError } from "../../core/errors/mod.ts";

export interface UserInfo {
  name: string;
  uid?: string;
  groups: string[];
}

/** Reads a static token file (kube-apiserver --token-auth-file format: token,user,uid,"group1,group2"). */
export function readTokenFile(path: string): Map<string, UserInfo> {
  const tokens = new Map<string, UserInfo>();
  const lines = readFileSync(path, "utf8").split("\n");
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith("#")) return;
    const fields: string[] = [];
    const re = /"([^"]*)"|([^,]+)|(?<=,)(?=,|$)/g;
    for (let m = re.exec(line); m; m = re.exec(line)) fields.push((m[1] ?? m[2] ?? "").trim());
    const [token, user, uid, groups] = fields;
    if (!token || !user) {
      throw new KiteError("invalid_argument", `${path} line ${i + 1}: want token,user[,uid[,"groups"]]`, {
        field: "--token-auth-file",
      });
    }
    tokens.set(token, {
      name: user,
      ...(uid ? { uid } : {}),
      groups: groups ? groups.split(",").map((g) => g.trim()) : [],
    });
  });
  return tokens;
}

export interface Authenticator {
  /** The user behind a request, or undefined (→ 401). */
  authenticate(headers: Headers, socket: TLSSocket | undefined): UserInfo | undefined;
}

/**
 * The kubelet's authentication chain: x509 client certificates (verified against --client-ca-file), bearer tokens
 * (from the token file), then anonymous (off by default).
 */
export function createAuthenticator(opts: {
  tokens?: Map<string, UserInfo>;
  clientCa: boolean;
  anonymous: boolean;
}): Authenticator {
  return {
    authenticate(headers, socket) {
      if (opts.clientCa && socket?.authorized) {
        const cert = socket.getPeerCertificate();
        if (cert?.subject) {
          const o = cert.subject.O;
          return { name: String(cert.subject.CN ?? ""), groups: Array.isArray(o) ? o : o ? [o] : [] };
        }
      }
      const authz = headers.get("authorization");
      const m = authz ? /^Bearer\s+(\S+)\s*$/i.exec(authz) : null;
      if (m && opts.tokens) {
        const user = opts.tokens.get(m[1]!);
        if (user) return user;
      }
      if (opts.anonymous) return { name: "system:anonymous", groups: ["system:unauthenticated"] };
      return undefined;
    },
  };
}
