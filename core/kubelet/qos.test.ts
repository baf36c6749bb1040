import { loadFixture } from "../../test/fixtures.ts";
import { describe, expect, it } from "../../test/harness.ts";
import { type FixtureFileData, type FixturePod, fixturePod } from "./fixture-pods.test-util.ts";
import { computePodQOS, getContainerOOMScoreAdjust, isCriticalPod, kubeletOOMScoreAdj } from "./mod.ts";

const qos = await loadFixture<FixtureFileData>("kubelet/qos.json");
const oom = await loadFixture<FixtureFileData>("kubelet/oom_score_adj.json");

describe("kubelet fixtures: qos.json", () => {
  it("has cases", () => expect(qos.cases.length).toBeGreaterThan(0));
  for (const c of qos.cases) {
    it(c.id, () => {
      expect(c.kind).toBe("qos.computePodQOS");
      const input = c.input as { pod: FixturePod; featureGates?: { PodLevelResources?: boolean } };
      const got = computePodQOS(fixturePod(input.pod), {
        podLevelResources: input.featureGates?.PodLevelResources ?? false,
      });
      expect(got).toBe((c.expected as { qosClass: string }).qosClass);
    });
  }
});

describe("kubelet fixtures: oom_score_adj.json", () => {
  for (const c of oom.cases) {
    it(c.id, () => {
      expect(c.kind).toBe("qos.containerOOMScoreAdjust");
      const input = c.input as { pod: FixturePod; memoryCapacityBytes: number };
      const pod = fixturePod(input.pod);
      const expected = (c.expected as { perContainer: Record<string, { min: number; max: number }> })
        .perContainer;
      const all = [...(pod.spec.initContainers ?? []), ...pod.spec.containers];
      expect(Object.keys(expected).sort()).toEqual(all.map((x) => x.name).sort());
      for (const container of all) {
        const score = getContainerOOMScoreAdjust(pod, container, input.memoryCapacityBytes);
        const want = expected[container.name]!;
        expect(score).toBeGreaterThanOrEqual(want.min);
        expect(score).toBeLessThanOrEqual(want.max);
      }
    });
  }
});

describe("critical pods and OOM constants", () => {
  it("static, mirror and high-priority pods are critical; others are not", () => {
    const base = fixturePod({ name: "p", containers: [{ name: "c" }] });
    expect(isCriticalPod(base)).toBe(false);
    expect(
      isCriticalPod({ ...base, metadata: { annotations: { "kubernetes.io/config.source": "file" } } }),
    ).toBe(true);
    expect(
      isCriticalPod({ ...base, metadata: { annotations: { "kubernetes.io/config.source": "api" } } }),
    ).toBe(false);
    expect(
      isCriticalPod({ ...base, metadata: { annotations: { "kubernetes.io/config.mirror": "h" } } }),
    ).toBe(true);
    expect(isCriticalPod({ ...base, spec: { ...base.spec, priority: 2_000_000_000 } })).toBe(true);
    expect(kubeletOOMScoreAdj).toBe(-999);
  });
});
