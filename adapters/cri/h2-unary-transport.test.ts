import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Http2Server, type ServerHttp2Stream } from "node:http2";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VersionRequestSchema, VersionResponseSchema } from "./gen/cri/v1/api_pb.js";
import { createCriClient } from "./mod.ts";

/** A tiny gRPC server on a unix socket: answers Version per the request's `version` field. */
function serve(socket: string): Promise<Http2Server> {
  const server = createServer();
  server.on("stream", (stream: ServerHttp2Stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", () => {
      const body = Buffer.concat(chunks);
      const req = fromBinary(VersionRequestSchema, body.subarray(5, 5 + body.readUInt32BE(1)));
      const path = headers[":path"];
      if (path !== "/runtime.v1.RuntimeService/Version") {
        stream.respond(
          { ":status": 200, "content-type": "application/grpc", "grpc-status": "12" },
          { endStream: true },
        );
        return;
      }
      if (req.version === "missing") {
        // Trailers-only error, with a percent-encoded message.
        stream.respond(
          {
            ":status": 200,
            "content-type": "application/grpc",
            "grpc-status": "5",
            "grpc-message": "no%20such%20thing",
          },
          { endStream: true },
        );
        return;
      }
      if (req.version === "slow") return; // never answers
      const out = toBinary(
        VersionResponseSchema,
        create(VersionResponseSchema, { version: req.version, runtimeName: "fake", runtimeApiVersion: "v1" }),
      );
      const frame = Buffer.alloc(5 + out.length);
      frame.writeUInt32BE(out.length, 1);
      frame.set(out, 5);
      stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      stream.end(frame);
    });
  });
  return new Promise((resolve) => server.listen(socket, () => resolve(server)));
}

describe("gRPC unary calls over node:http2", () => {
  const dir = mkdtempSync(join(tmpdir(), "kite-h2-"));
  const socket = join(dir, "cri.sock");
  let server: Http2Server;
  beforeAll(async () => {
    server = await serve(socket);
  });
  afterAll(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("sends the request and decodes the answer, also many at once", async () => {
    const cri = createCriClient({ socketPath: socket, timeoutMs: 5000 });
    const v = await cri.runtime.version({ version: "v1" });
    expect(v.runtimeName).toBe("fake");
    const all = await Promise.all(
      Array.from({ length: 50 }, (_, i) => cri.runtime.version({ version: `v${i}` })),
    );
    expect(all.map((r) => r.version)).toEqual(Array.from({ length: 50 }, (_, i) => `v${i}`));
  });

  it("maps grpc-status to a kite error with the decoded message", async () => {
    const cri = createCriClient({ socketPath: socket, timeoutMs: 5000 });
    const err = await cri.runtime.version({ version: "missing" }).catch((e) => e);
    expect(err.code).toBe("not_found");
    expect(err.message).toContain("no such thing");
    const unimplemented = await cri.runtime.listContainers({}).catch((e) => e);
    expect(unimplemented.code).toBe("unimplemented");
  });

  it("ends a call that outlives its deadline, and the next call still works", async () => {
    const cri = createCriClient({ socketPath: socket, timeoutMs: 5000 });
    const err = await cri.runtime.version({ version: "slow" }, 200).catch((e) => e);
    expect(err.code).toBe("deadline_exceeded");
    expect((await cri.runtime.version({ version: "after" })).version).toBe("after");
  });
});
