import { type ClientHttp2Session, type ClientHttp2Stream, connect, constants } from "node:http2";
import { connect as netConnect } from "node:net";
import {
  create,
  type DescMessage,
  type DescMethodUnary,
  fromBinary,
  isMessage,
  type MessageInitShape,
  toBinary,
} from "@bufbuild/protobuf";
import { Code, ConnectError, type Transport, type UnaryResponse } from "@connectrpc/connect";

const noHeaders = new Headers();

function grpcTimeout(ms: number): string {
  return `${Math.max(1, Math.ceil(ms))}m`;
}

function decodeGrpcMessage(raw: unknown): string {
  if (typeof raw !== "string") return "";
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

function statusError(status: unknown, message: unknown): ConnectError | undefined {
  if (status === undefined) return undefined;
  const code = Number(status);
  if (code === 0) return undefined;
  return new ConnectError(
    decodeGrpcMessage(message),
    Number.isInteger(code) && code > 0 && code <= 16 ? (code as Code) : Code.Unknown,
  );
}

/**
 * gRPC unary calls over one HTTP/2 session on a unix socket, straight on node:http2: a 5-byte frame out, one
 * frame and the grpc-status trailer back. The CRI is almost all unary calls and the node agent makes thousands
 * of them (relists, status, starts); Connect's generic transport costs several times the runtime's own work per
 * call (web streams, abort signals, header objects), this about a tenth of it. Streaming methods go through
 * `streams` (Connect's transport). A session that closes (runtime restart) or receives GOAWAY is dropped and the
 * next call opens a new one; errors are ConnectErrors with the gRPC code (socket errors as Unavailable with the
 * errno in `cause`).
 */
export function createH2UnaryTransport(socketPath: string, streams: Transport): Transport {
  let session: ClientHttp2Session | undefined;
  let active = 0;

  const open = (): ClientHttp2Session => {
    if (session && !session.closed && !session.destroyed) return session;
    const s = connect("http://localhost", {
      createConnection: () => netConnect(socketPath),
      settings: { initialWindowSize: 4 << 20, enablePush: false },
    });
    const drop = () => {
      if (session === s) session = undefined;
    };
    s.on("error", drop);
    s.on("close", drop);
    s.on("goaway", drop);
    s.on("connect", () => s.setLocalWindowSize(16 << 20));
    session = s;
    if (active === 0) s.unref();
    return s;
  };

  const unary = <I extends DescMessage, O extends DescMessage>(
    method: DescMethodUnary<I, O>,
    signal: AbortSignal | undefined,
    timeoutMs: number | undefined,
    _header: HeadersInit | undefined,
    input: MessageInitShape<I>,
  ): Promise<UnaryResponse<I, O>> =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(new ConnectError("operation was aborted", Code.Canceled));
        return;
      }
      const message = isMessage(input, method.input) ? input : create(method.input, input);
      const body = toBinary(method.input, message);
      const frame = Buffer.allocUnsafe(5 + body.length);
      frame[0] = 0;
      frame.writeUInt32BE(body.length, 1);
      frame.set(body, 5);
      let s: ClientHttp2Session;
      let stream: ClientHttp2Stream;
      try {
        s = open();
        const headers: Record<string, string> = {
          [constants.HTTP2_HEADER_METHOD]: "POST",
          [constants.HTTP2_HEADER_PATH]: `/${method.parent.typeName}/${method.name}`,
          [constants.HTTP2_HEADER_CONTENT_TYPE]: "application/grpc+proto",
          te: "trailers",
        };
        if (timeoutMs !== undefined && timeoutMs > 0) headers["grpc-timeout"] = grpcTimeout(timeoutMs);
        stream = s.request(headers);
      } catch (e) {
        reject(new ConnectError((e as Error).message, Code.Unavailable, undefined, undefined, e));
        return;
      }
      if (active++ === 0) s.ref();
      const chunks: Buffer[] = [];
      let size = 0;
      let status: unknown;
      let statusMessage: unknown;
      let httpStatus = 0;
      let done = false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const finish = (err: ConnectError | undefined, out?: UnaryResponse<I, O>) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        if (--active === 0 && !s.destroyed) s.unref();
        if (err) {
          if (!stream.closed) stream.close(constants.NGHTTP2_CANCEL);
          reject(err);
        } else resolve(out!);
      };
      const onAbort = () => finish(new ConnectError("operation was aborted", Code.Canceled));
      signal?.addEventListener("abort", onAbort);
      if (timeoutMs !== undefined && timeoutMs > 0) {
        timer = setTimeout(
          () => finish(new ConnectError("the operation timed out", Code.DeadlineExceeded)),
          timeoutMs,
        );
      }
      stream.on("response", (h) => {
        httpStatus = Number(h[constants.HTTP2_HEADER_STATUS] ?? 0);
        if (h["grpc-status"] !== undefined) {
          status = h["grpc-status"];
          statusMessage = h["grpc-message"];
        }
      });
      stream.on("data", (c: Buffer) => {
        chunks.push(c);
        size += c.length;
      });
      stream.on("trailers", (t) => {
        status = t["grpc-status"];
        statusMessage = t["grpc-message"];
      });
      stream.on("error", (e) => {
        finish(new ConnectError(e.message, Code.Unavailable, undefined, undefined, e));
      });
      stream.on("close", () => {
        if (done) return;
        const err = statusError(status, statusMessage);
        if (err) return finish(err);
        if (httpStatus !== 200) {
          return finish(
            new ConnectError(
              httpStatus ? `HTTP ${httpStatus} from the runtime` : "stream closed without a response",
              httpStatus ? Code.Unknown : Code.Unavailable,
            ),
          );
        }
        if (status === undefined)
          return finish(new ConnectError("missing grpc-status trailer", Code.Internal));
        const buf = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
        if (buf.length < 5 || (buf[0]! & 1) === 1) {
          return finish(new ConnectError("unexpected response frame (empty or compressed)", Code.Internal));
        }
        const len = buf.readUInt32BE(1);
        if (buf.length < 5 + len)
          return finish(new ConnectError("truncated response message", Code.Internal));
        let out: UnaryResponse<I, O>;
        try {
          out = {
            stream: false,
            service: method.parent,
            method,
            header: noHeaders,
            trailer: noHeaders,
            message: fromBinary(method.output, buf.subarray(5, 5 + len)),
          };
        } catch (e) {
          return finish(
            new ConnectError(`cannot decode the response: ${(e as Error).message}`, Code.Internal),
          );
        }
        finish(undefined, out);
      });
      stream.end(frame);
    });

  return {
    unary,
    stream: (method, signal, timeoutMs, header, input, contextValues) =>
      streams.stream(method, signal, timeoutMs, header, input, contextValues),
  };
}
