import { describe, expect, it } from "../../test/harness.ts";
import { Backoff, containerBackOff, containerWaitingState, terminatedReason } from "./mod.ts";

const pod = { metadata: { name: "web", namespace: "default", uid: "u-1" } };

describe("CrashLoopBackOff", () => {
  it("backs off 10 s doubling to 5 min", () => {
    const b = new Backoff();
    let now = 0;
    const waits: number[] = [];
    // the container dies as soon as it starts, every time
    for (let i = 0; i < 9; i++) {
      const finished = now;
      const d = containerBackOff(b, pod, "app", finished, now);
      if (d.inBackOff) {
        waits.push(d.until - finished);
        now = d.until;
        expect(containerBackOff(b, pod, "app", finished, now).inBackOff).toBe(false);
      }
    }
    expect(waits).toEqual([10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000]);
  });

  it("reports the upstream message while backing off", () => {
    const b = new Backoff();
    expect(containerBackOff(b, pod, "app", 1000, 1000).inBackOff).toBe(false);
    containerBackOff(b, pod, "app", 2000, 12_000);
    const d = containerBackOff(b, pod, "app", 12_500, 15_000);
    expect(d).toEqual({
      inBackOff: true,
      reason: "CrashLoopBackOff",
      message: "back-off 20s restarting failed container=app pod=web_default(u-1)",
      until: 32_500,
    });
    expect(
      containerWaitingState({ kind: "crashLoopBackOff", message: d.inBackOff ? d.message : "" }).reason,
    ).toBe("CrashLoopBackOff");
  });

  it("resets after 10 minutes without a failure, and per container", () => {
    const b = new Backoff();
    let now = 0;
    for (let i = 0; i < 5; i++) {
      const finished = now;
      const d = containerBackOff(b, pod, "app", finished, now);
      if (d.inBackOff) {
        now = d.until;
        containerBackOff(b, pod, "app", finished, now);
      }
    }
    expect(b.get("web_default_u-1_app")).toBe(160_000);
    expect(b.get("web_default_u-1_other")).toBe(0);
    // ran fine for more than 10 minutes, then died: starts over at 10 s
    const later = now + 10 * 60_000 + 1;
    expect(containerBackOff(b, pod, "app", later, later).inBackOff).toBe(false);
    expect(b.get("web_default_u-1_app")).toBe(10_000);
    b.gc(later + 11 * 60_000);
    expect(b.size).toBe(0);
  });
});

describe("waiting and terminated reasons", () => {
  it("names the upstream reasons", () => {
    expect(containerWaitingState({ kind: "creating" })).toEqual({ reason: "ContainerCreating" });
    expect(containerWaitingState({ kind: "imagePullError", message: "not found" }).reason).toBe(
      "ErrImagePull",
    );
    expect(containerWaitingState({ kind: "imagePullBackOff", image: "busybox" })).toEqual({
      reason: "ImagePullBackOff",
      message: 'Back-off pulling image "busybox"',
    });
    expect(containerWaitingState({ kind: "configError", message: 'configmap "x" not found' }).reason).toBe(
      "CreateContainerConfigError",
    );
    expect(containerWaitingState({ kind: "imageNeverPull", image: "a" }).reason).toBe("ErrImageNeverPull");
    expect(terminatedReason(0)).toBe("Completed");
    expect(terminatedReason(137, true)).toBe("OOMKilled");
    expect(terminatedReason(1)).toBe("Error");
  });
});
