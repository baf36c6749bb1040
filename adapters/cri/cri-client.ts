import { type CallOptions, type Client, createClient, type Transport } from "@connectrpc/connect";
import { KiteError } from "../../core/errors/mod.ts";
import { criError } from "./errors.ts";
import { type ContainerEventResponse, ImageService, RuntimeService } from "./gen/cri/v1/api_pb.js";
import { createH2UnaryTransport } from "./h2-unary-transport.ts";
import { createUnixGrpcTransport } from "./transport.ts";

type Unary<C> = {
  [K in keyof C]: C[K] extends (req: infer R, opts?: CallOptions) => Promise<infer O>
    ? (req?: R, timeoutMs?: number) => Promise<O>
    : never;
};

export type RuntimeApi = Unary<Omit<Client<typeof RuntimeService>, "getContainerEvents">>;
export type ImageApi = Unary<Client<typeof ImageService>>;

export interface CriClientOptions {
  /** Path of the runtime's unix socket. */
  socketPath: string;
  /** Deadline of an ordinary call (the kubelet's runtimeRequestTimeout is 2m; kite uses less for fast calls). */
  timeoutMs?: number;
  /** Deadline of PullImage. */
  pullTimeoutMs?: number;
  transport?: Transport;
}

export interface CriClient {
  readonly socketPath: string;
  readonly runtime: RuntimeApi;
  readonly image: ImageApi;
  /** Calls Version and fails unless the runtime speaks CRI v1. Returns "name version". */
  checkVersion(): Promise<{ runtimeName: string; runtimeVersion: string; runtimeApiVersion: string }>;
  /** The runtime's container event stream (GetContainerEvents); ends when the runtime closes it. */
  containerEvents(signal: AbortSignal): AsyncIterable<ContainerEventResponse>;
}

function wrap<C extends object>(
  client: C,
  socketPath: string,
  deadline: (method: string) => number,
  skip: string[] = [],
): Unary<C> {
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(client)) {
    if (skip.includes(name)) continue;
    const fn = (client as Record<string, (req: unknown, opts?: CallOptions) => Promise<unknown>>)[name]!;
    out[name] = async (req: unknown = {}, timeoutMs?: number) => {
      try {
        return await fn(req, { timeoutMs: timeoutMs ?? deadline(name) });
      } catch (e) {
        throw criError(name, socketPath, e);
      }
    };
  }
  return out as Unary<C>;
}

/** A typed CRI v1 client: per-call deadlines, errors as KiteErrors, reconnects after the runtime restarts. */
export function createCriClient(options: CriClientOptions): CriClient {
  const transport =
    options.transport ??
    createH2UnaryTransport(options.socketPath, createUnixGrpcTransport(options.socketPath));
  const timeout = options.timeoutMs ?? 30_000;
  const pullTimeout = options.pullTimeoutMs ?? 5 * 60_000;
  const rawRuntime = createClient(RuntimeService, transport);
  const rawImage = createClient(ImageService, transport);
  const runtime = wrap(rawRuntime, options.socketPath, () => timeout, ["getContainerEvents"]) as RuntimeApi;
  const image = wrap(rawImage, options.socketPath, (m) => (m === "pullImage" ? pullTimeout : timeout));
  return {
    socketPath: options.socketPath,
    runtime,
    image,
    async checkVersion() {
      const v = await runtime.version({ version: "v1" }, 10_000);
      if (v.runtimeApiVersion !== "v1") {
        throw new KiteError(
          "failed_precondition",
          `container runtime ${v.runtimeName} ${v.runtimeVersion} serves CRI ${v.runtimeApiVersion || "(unknown)"}; kite needs CRI v1 (containerd ≥ 1.6)`,
        );
      }
      return {
        runtimeName: v.runtimeName,
        runtimeVersion: v.runtimeVersion,
        runtimeApiVersion: v.runtimeApiVersion,
      };
    },
    async *containerEvents(signal: AbortSignal) {
      try {
        for await (const ev of rawRuntime.getContainerEvents({}, { signal })) yield ev;
      } catch (e) {
        if (signal.aborted) return;
        throw criError("getContainerEvents", options.socketPath, e);
      }
    },
  };
}
