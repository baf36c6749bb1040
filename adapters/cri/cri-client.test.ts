import { describe, expect, it } from "vitest";
import { createCriClient, parseRuntimeEndpoint } from "./mod.ts";

describe("CRI client", () => {
  it("parses unix endpoints", () => {
    expect(parseRuntimeEndpoint("unix:///run/containerd/containerd.sock")).toBe(
      "/run/containerd/containerd.sock",
    );
    expect(parseRuntimeEndpoint("/run/crio/crio.sock")).toBe("/run/crio/crio.sock");
    expect(() => parseRuntimeEndpoint("tcp://1.2.3.4:5")).toThrow(/--container-runtime-endpoint/);
    expect(() => parseRuntimeEndpoint("unix://relative.sock")).toThrow();
  });

  it("says that the socket is missing instead of a bare Internal error", async () => {
    const cri = createCriClient({ socketPath: "/nonexistent/kite-test.sock", timeoutMs: 2000 });
    const err = await cri.checkVersion().catch((e) => e);
    expect(err.code).toBe("unavailable");
    expect(err.message).toContain("container runtime socket /nonexistent/kite-test.sock does not exist");
    const list = await cri.runtime.listContainers({}).catch((e) => e);
    expect(list.code).toBe("unavailable");
  });
});
