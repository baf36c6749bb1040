/**
 * Health-check node ports (`spec.healthCheckNodePort` of externalTrafficPolicy=Local services): one
 * HTTP server per port answering upstream's JSON with the number of local ready endpoints; 200 when
 * there is at least one and the proxy is healthy, 503 otherwise (the load balancer drains the node).
 */
import { Hono } from "hono";
import { type RunningServer, serveApp } from "../http/serve.ts";
import type { Logger } from "../log/logger.ts";

export interface HealthCheckPort {
  /** `namespace/name` */
  service: string;
  port: number;
  localEndpoints: number;
}

export function healthCheckBody(service: string, localEndpoints: number, proxyHealthy: boolean): string {
  const [namespace = "", name = ""] = service.split("/");
  return [
    "{",
    '\t"service": {',
    `\t\t"namespace": ${JSON.stringify(namespace)},`,
    `\t\t"name": ${JSON.stringify(name)}`,
    "\t},",
    `\t"localEndpoints": ${localEndpoints},`,
    `\t"serviceProxyHealthy": ${proxyHealthy}`,
    "}",
  ].join("\n");
}

export interface HealthCheckServers {
  /** Starts servers for new ports, stops those no longer wanted, updates counts. */
  update(ports: readonly HealthCheckPort[]): Promise<void>;
  /** The ports currently served → their bound port (useful with port 0 in tests). */
  bound(): Map<number, number>;
  close(): Promise<void>;
}

export function createHealthCheckServers(
  host: string,
  proxyHealthy: () => boolean,
  logger: Logger,
): HealthCheckServers {
  const servers = new Map<number, { state: HealthCheckPort; server: RunningServer }>();
  return {
    async update(ports) {
      const want = new Map(ports.map((p) => [p.port, p]));
      for (const [port, s] of servers) {
        if (!want.has(port)) {
          await s.server.close();
          servers.delete(port);
        }
      }
      for (const [port, p] of want) {
        const existing = servers.get(port);
        if (existing) {
          existing.state = p;
          continue;
        }
        const entry = { state: p } as { state: HealthCheckPort; server: RunningServer };
        const app = new Hono();
        app.get("*", () => {
          const { service, localEndpoints } = entry.state;
          const healthy = proxyHealthy();
          return new Response(healthCheckBody(service, localEndpoints, healthy), {
            status: localEndpoints > 0 && healthy ? 200 : 503,
            headers: {
              "Content-Type": "application/json",
              "X-Content-Type-Options": "nosniff",
              "X-Load-Balancing-Endpoint-Weight": String(localEndpoints),
            },
          });
        });
        try {
          entry.server = await serveApp(app as never, { host, port });
          servers.set(port, entry);
        } catch (e) {
          logger.error("Failed to start health check node port server", {
            service: p.service,
            port,
            error: (e as Error).message,
          });
        }
      }
    },
    bound() {
      return new Map([...servers].map(([port, s]) => [port, s.server.port]));
    },
    async close() {
      for (const s of servers.values()) await s.server.close();
      servers.clear();
    },
  };
}
