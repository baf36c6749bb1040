import { describe, expect, it } from "../../test/harness.ts";
import {
  Backoff,
  defaultImagePullPolicy,
  ensureImageExists,
  imageBackOffPeriodMs,
  imagePullFailed,
  maxImageBackOffMs,
  type ProbeVerdict,
  probeWithRetries,
  shouldPullImage,
} from "./mod.ts";

const pod = { metadata: { name: "p", namespace: "ns", uid: "u" } };

describe("image pull policy", () => {
  it("defaults like the API server", () => {
    expect(defaultImagePullPolicy("busybox")).toBe("Always");
    expect(defaultImagePullPolicy("busybox:latest")).toBe("Always");
    expect(defaultImagePullPolicy("busybox:1.36")).toBe("IfNotPresent");
    expect(defaultImagePullPolicy("localhost:5000/busybox")).toBe("Always");
    expect(defaultImagePullPolicy("localhost:5000/busybox:1")).toBe("IfNotPresent");
    expect(defaultImagePullPolicy("busybox@sha256:abc")).toBe("IfNotPresent");
    expect(shouldPullImage("IfNotPresent", true)).toBe(false);
    expect(shouldPullImage("Always", true)).toBe(true);
    expect(shouldPullImage("Never", false)).toBe(false);
  });

  it("uses, pulls, refuses with Never, and backs off after failures", () => {
    const backoff = new Backoff({ initialMs: imageBackOffPeriodMs, maxMs: maxImageBackOffMs });
    const c = { image: "busybox:1.36" };
    expect(ensureImageExists({ pod, container: c, imagePresent: true, backoff, now: 0 }).action).toBe("use");
    expect(
      ensureImageExists({
        pod,
        container: { ...c, imagePullPolicy: "Never" },
        imagePresent: false,
        backoff,
        now: 0,
      }),
    ).toMatchObject({ action: "wait", reason: "ErrImageNeverPull" });
    expect(ensureImageExists({ pod, container: c, imagePresent: false, backoff, now: 0 }).action).toBe(
      "pull",
    );
    expect(imagePullFailed(backoff, pod, "busybox:1.36", "not found", 0)).toEqual({
      reason: "ErrImagePull",
      message: 'Failed to pull image "busybox:1.36": not found',
    });
    expect(ensureImageExists({ pod, container: c, imagePresent: false, backoff, now: 5_000 })).toMatchObject({
      action: "wait",
      reason: "ImagePullBackOff",
      message: 'Back-off pulling image "busybox:1.36"',
    });
    expect(ensureImageExists({ pod, container: c, imagePresent: false, backoff, now: 10_000 }).action).toBe(
      "pull",
    );
    imagePullFailed(backoff, pod, "busybox:1.36", "still not found", 10_000);
    expect(ensureImageExists({ pod, container: c, imagePresent: false, backoff, now: 25_000 }).action).toBe(
      "wait",
    );
    expect(ensureImageExists({ pod, container: c, imagePresent: false, backoff, now: 30_000 }).action).toBe(
      "pull",
    );
  });
});

describe("probeWithRetries", () => {
  it("retries prober errors up to 3 times and stops at the first real verdict", async () => {
    const seq: ProbeVerdict[] = [
      { result: "Unknown", output: "", error: "e1" },
      { result: "Failure", output: "bad" },
    ];
    let calls = 0;
    expect(await probeWithRetries(async () => seq[calls++]!)).toEqual({ result: "Failure", output: "bad" });
    expect(calls).toBe(2);
    calls = 0;
    const v = await probeWithRetries(async () => {
      calls++;
      return { result: "Unknown", output: "", error: "down" };
    });
    expect(v.result).toBe("Unknown");
    expect(calls).toBe(3);
  });
});
