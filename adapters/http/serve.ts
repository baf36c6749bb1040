import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
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

/**
 * A node:http handler tried before the app for every request: it either
 * answers the request itself and returns true, or returns false (without
 * touching the request or the response) and the Hono app serves it. For hot
 * routes where the Node-to-Fetch Request/Response conversion would dominate;
 * the app stays the routing definition for everything else.
 */
export type NodeFastPath = (req: IncomingMessage, res: ServerResponse) => boolean;

const fastPaths = new WeakMap<object, NodeFastPath>();

/** Attaches a fast path to an app: serveApp serves the app with it in front. */
export function setNodeFastPath(app: object, handler: NodeFastPath): void {
  fastPaths.set(app, handler);
}

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/** Serves a Hono app on a real socket and resolves once it is listening. */
export function serveApp(app: Hono<never>, options: ServeOptions): Promise<RunningServer> {
  const fast = fastPaths.get(app);
  const tls = options.tls ? { createServer: createHttpsServer, serverOptions: options.tls } : {};
  const front = fast
    ? {
        createServer: (serverOptions: object, listener: Listener) => {
          const inFront: Listener = (req, res) => {
            if (!fast(req, res)) listener(req, res);
          };
          return options.tls
            ? createHttpsServer(serverOptions, inFront)
            : createHttpServer(serverOptions, inFront);
        },
      }
    : {};
  return new Promise((resolve, reject) => {
    const server = serve(
      {
        fetch: app.fetch,
        hostname: options.host,
        port: options.port,
        ...tls,
        ...front,
      } as Parameters<typeof serve>[0],
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
