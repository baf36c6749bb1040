import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { connect } from "node:net";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import type { ContainerPort, Probe } from "../../core/api/mod.ts";
import { Health, HealthCheckResponse_ServingStatus } from "../cri/gen/grpc/health/v1/health_pb.js";
import type { CriClient } from "../cri/mod.ts";
import { httpProbeResult } from "./policy.ts";

export interface ProbeTarget {
  podIp: string;
  containerId: string;
  ports: ContainerPort[];
}

export interface ProbeOutcome {
  result: "success" | "warning" | "failure";
  message: string;
}

/** The kubelet's probe User-Agent. */
export const probeUserAgent = "kube-probe/1.35";
const maxBody = 10 * 1024;

function resolvePort(port: number | string, ports: ContainerPort[]): number {
  if (typeof port === "number") return port;
  if (/^\d+$/.test(port)) return Number(port);
  const found = ports.find((p) => p.name === port);
  if (!found) throw new Error(`port ${JSON.stringify(port)} not found in the container's ports`);
  return found.containerPort;
}

function httpProbe(
  probe: NonNullable<Probe["httpGet"]>,
  t: ProbeTarget,
  timeoutMs: number,
): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const https = probe.scheme === "HTTPS";
    const headers: Record<string, string> = { "User-Agent": probeUserAgent, Accept: "*/*" };
    for (const h of probe.httpHeaders ?? []) {
      const existing = Object.keys(headers).find((k) => k.toLowerCase() === h.name.toLowerCase());
      if (existing) delete headers[existing];
      if (!(h.name.toLowerCase() === "user-agent" && h.value === "")) headers[h.name] = h.value;
    }
    const req = (https ? httpsRequest : httpRequest)(
      {
        host: probe.host || t.podIp || "127.0.0.1",
        port: resolvePort(probe.port, t.ports),
        path: probe.path || "/",
        method: "GET",
        headers,
        timeout: timeoutMs,
        ...(https ? { rejectUnauthorized: false } : {}),
        agent: false,
      },
      (res) => {
        let read = 0;
        res.on("data", (chunk: Buffer) => {
          read += chunk.length;
          if (read > maxBody) res.destroy();
        });
        const done = () => resolve(httpProbeResult(res.statusCode ?? 0));
        res.on("end", done);
        res.on("close", done);
      },
    );
    req.on("timeout", () => {
      req.destroy();
      resolve({ result: "failure", message: `Get "${probe.path ?? "/"}": context deadline exceeded` });
    });
    req.on("error", (e) => resolve({ result: "failure", message: e.message }));
    req.end();
  });
}

function tcpProbe(port: number, host: string, timeoutMs: number): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const sock = connect({ host, port, timeout: timeoutMs });
    sock.once("connect", () => {
      sock.destroy();
      resolve({ result: "success", message: "" });
    });
    sock.once("timeout", () => {
      sock.destroy();
      resolve({ result: "failure", message: `dial tcp ${host}:${port}: i/o timeout` });
    });
    sock.once("error", (e) => resolve({ result: "failure", message: e.message }));
  });
}

async function grpcProbe(
  port: number,
  service: string,
  host: string,
  timeoutMs: number,
): Promise<ProbeOutcome> {
  const transport = createGrpcTransport({ baseUrl: `http://${host}:${port}` });
  try {
    const res = await createClient(Health, transport).check({ service }, { timeoutMs });
    if (res.status === HealthCheckResponse_ServingStatus.SERVING) return { result: "success", message: "" };
    return {
      result: "failure",
      message: `service unhealthy (responded with "${HealthCheckResponse_ServingStatus[res.status]}")`,
    };
  } catch (e) {
    const err = ConnectError.from(e);
    const why = err.code === Code.DeadlineExceeded ? "timeout" : err.rawMessage;
    return { result: "failure", message: `failed to connect service "${host}:${port}": ${why}` };
  }
}

/** Performs one probe against a container (http, tcp, exec via ExecSync, grpc). */
export async function runProbe(probe: Probe, t: ProbeTarget, cri: CriClient): Promise<ProbeOutcome> {
  const timeoutS = Math.max(1, probe.timeoutSeconds ?? 1);
  const timeoutMs = timeoutS * 1000;
  try {
    if (probe.httpGet) return await httpProbe(probe.httpGet, t, timeoutMs);
    if (probe.tcpSocket) {
      return await tcpProbe(
        resolvePort(probe.tcpSocket.port, t.ports),
        probe.tcpSocket.host || t.podIp || "127.0.0.1",
        timeoutMs,
      );
    }
    if (probe.grpc)
      return await grpcProbe(probe.grpc.port, probe.grpc.service ?? "", t.podIp || "127.0.0.1", timeoutMs);
    if (probe.exec) {
      const res = await cri.runtime.execSync(
        { containerId: t.containerId, cmd: probe.exec.command ?? [], timeout: BigInt(timeoutS) },
        timeoutMs + 5000,
      );
      if (res.exitCode === 0) return { result: "success", message: "" };
      const out = Buffer.from(res.stdout).toString().trim() || Buffer.from(res.stderr).toString().trim();
      return { result: "failure", message: out || `command exited with ${res.exitCode}` };
    }
    return { result: "failure", message: "probe has no handler" };
  } catch (e) {
    return { result: "failure", message: (e as Error).message };
  }
}
