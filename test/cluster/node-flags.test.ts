import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hostNodeConfig } from "../../adapters/apiserver/host-node.ts";
import {
  evictionReservation,
  parseNodeLabels,
  parseReserved,
  parseTaints,
} from "../../adapters/apiserver/node-flags.ts";
import { computeAllocatable } from "../../adapters/apiserver/node-object.ts";
import { KiteError } from "../../core/errors/mod.ts";

describe("cluster-mode node flags", () => {
  it("parses --node-labels, --register-with-taints and --kube-reserved", () => {
    expect(parseNodeLabels("node-role.kubernetes.io/worker=,zone=a")).toEqual({
      "node-role.kubernetes.io/worker": "",
      zone: "a",
    });
    expect(parseTaints("dedicated=gpu:NoSchedule,example.com/spot:PreferNoSchedule")).toEqual([
      { key: "dedicated", value: "gpu", effect: "NoSchedule" },
      { key: "example.com/spot", effect: "PreferNoSchedule" },
    ]);
    expect(parseReserved("cpu=100m,memory=256Mi", "--kube-reserved")).toEqual({
      cpu: "100m",
      memory: "256Mi",
    });
  });

  it("names the flag for bad values", () => {
    expect(() => parseTaints("dedicated=gpu:Sometimes")).toThrow(
      /--register-with-taints: invalid taint effect/,
    );
    expect(() => parseTaints("nokey")).toThrow(KiteError);
    expect(() => parseNodeLabels("bad key=x")).toThrow(/--node-labels: invalid label key/);
    expect(() => parseReserved("gpu=1", "--system-reserved")).toThrow(
      /--system-reserved: unsupported resource/,
    );
    expect(() => parseReserved("memory=-1Gi", "--system-reserved")).toThrow(/must not be negative/);
  });

  it("never throws anything but a KiteError on arbitrary input", () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        for (const f of [
          () => parseTaints(s),
          () => parseNodeLabels(s),
          () => parseReserved(s, "--kube-reserved"),
        ]) {
          try {
            f();
          } catch (e) {
            expect(e).toBeInstanceOf(KiteError);
            expect((e as KiteError).field).toBeTruthy();
          }
        }
      }),
    );
  });

  it("turns hard eviction thresholds into reserved quantities (percentages of capacity)", () => {
    const cap = { memory: "8Gi", "ephemeral-storage": "100Gi" };
    expect(
      evictionReservation(
        { "memory.available": "100Mi", "nodefs.available": "10%", "imagefs.available": "15%" },
        cap,
      ),
    ).toEqual({ memory: "100Mi", "ephemeral-storage": "10Gi" });
    expect(
      computeAllocatable({
        capacity: { cpu: "1", memory: "1Gi" },
        kubeReserved: { cpu: "2" },
        systemReserved: { memory: "512Mi" },
      }),
    ).toEqual({ cpu: "0", memory: "512Mi" });
  });

  it("describes this machine", () => {
    const c = hostNodeConfig({
      nodeName: "h",
      nodeIp: "10.0.0.1",
      rootDir: "/",
      maxPods: 110,
      port: 10250,
      kubeletVersion: "v1.31.0-kite",
      containerRuntimeVersion: "containerd://1.6.20",
    });
    expect(Number(c.capacity.cpu)).toBeGreaterThan(0);
    expect(c.capacity.pods).toBe("110");
    expect(c.nodeInfo.operatingSystem).toBe("linux");
    expect(c.nodeInfo.kernelVersion).not.toBe("");
    expect(c.addresses[0]).toEqual({ type: "InternalIP", address: "10.0.0.1" });
    expect(c.evictionHard?.memory).toBe("100Mi");
  });
});
