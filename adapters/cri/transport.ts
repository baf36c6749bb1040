import { connect } from "node:net";
import type { Transport } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";

/**
 * gRPC over HTTP/2 on a unix socket (how containerd and CRI-O serve the CRI). The session manager reconnects on
 * the next call after the runtime closes the socket (restart), so one transport lives as long as the daemon.
 */
export function createUnixGrpcTransport(socketPath: string): Transport {
  return createGrpcTransport({
    baseUrl: "http://localhost",
    nodeOptions: { createConnection: () => connect(socketPath) },
    // The CRI messages are small; keep idle sessions alive so relists reuse one connection.
    idleConnectionTimeoutMs: 5 * 60_000,
    pingIntervalMs: 30_000,
  });
}
