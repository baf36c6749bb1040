import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { SecureContextOptions } from "node:tls";
import { type ServerType, serve } from "@hono/node-server";
import type { Hono } from "hono";

export interface ServeOptions {
  host: string;
  port: number;
  /** Serve TLS with these options (cert, key, ca, requestCert, ...). */
  tls?: SecureContextOptions & { requestCert?: boolean; rejectUnauthorized?: boolean };
}

export interface RunningServer {
  /** The port actually bound (useful with port 0). */
  port: number;
  host: string;
  server: ServerType;
  close(): Promise<void>;
}

/** Serves a Hono app on a real socket and resolves once it is listening. */
export function serveApp(app: Hono<never>, options: ServeOptions): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const server = serve(
      {
        fetch: app.fetch,
        hostname: options.host,
        port: options.port,
        ...(options.tls ? { createServer: createHttpsServer, serverOptions: options.tls } : {}),
      },
      (info: AddressInfo) => {
        resolve({
          port: info.port,
          host: options.host,
          server,
          close: () =>
            new Promise<void>((done) => {
              const s = server as { closeAllConnections?: () => void; close(cb: () => void): void };
              s.close(() => done());
              s.closeAllConnections?.();
            }),
        });
      },
    );
    server.once("error", reject);
  });
}
