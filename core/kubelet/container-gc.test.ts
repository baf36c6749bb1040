import fc from "fast-check";
import { describe, expect, it } from "../../test/harness.ts";
import { defaultContainerGCPolicy, type GCContainer, type GCSandbox, planContainerGC } from "./mod.ts";

const now = 1_000_000;
const dead = (podUid: string, name: string, attempt: number, createdAt = attempt * 10): GCContainer => ({
  id: `${podUid}-${name}-${attempt}`,
  podUid,
  name,
  state: "exited",
  createdAt,
  attempt,
  sandboxId: `${podUid}-sb`,
});
const base = {
  sandboxes: [] as GCSandbox[],
  now,
  allSourcesReady: true,
  evictTerminatedPods: false,
  isPodDeleted: (uid: string) => uid === "gone",
  isPodTerminated: (uid: string) => uid === "done",
};

describe("container GC", () => {
  it("keeps the newest MaxPerPodContainer dead containers per (pod, container)", () => {
    const plan = planContainerGC({
      ...base,
      containers: [
        dead("p", "a", 0),
        dead("p", "a", 1),
        dead("p", "a", 2),
        dead("p", "b", 0),
        { ...dead("p", "a", 3), state: "running" },
      ],
      policy: defaultContainerGCPolicy,
    });
    expect(plan.containers.map((c) => c.id).sort()).toEqual(["p-a-0", "p-a-1"]);
  });
  it("removes every dead container of deleted pods, and of terminated pods when asked", () => {
    const containers = [dead("gone", "a", 0), dead("done", "a", 0), dead("p", "a", 0)];
    expect(
      planContainerGC({ ...base, containers, policy: defaultContainerGCPolicy }).containers.map((c) => c.id),
    ).toEqual(["gone-a-0"]);
    const evictAll = planContainerGC({
      ...base,
      containers,
      policy: defaultContainerGCPolicy,
      evictTerminatedPods: true,
    });
    expect(evictAll.containers.map((c) => c.id).sort()).toEqual(["done-a-0", "gone-a-0"]);
    const notReady = planContainerGC({
      ...base,
      containers,
      policy: defaultContainerGCPolicy,
      allSourcesReady: false,
    });
    expect(notReady.containers).toEqual([]);
  });
  it("respects MinAge and stops unknown containers first", () => {
    const plan = planContainerGC({
      ...base,
      containers: [
        dead("p", "a", 0, now - 5_000),
        { ...dead("p", "a", 1, now - 60_000), state: "unknown" },
        dead("p", "a", 2, now - 70_000),
      ],
      policy: { minAgeMs: 10_000, maxPerPodContainer: 0, maxContainers: -1 },
    });
    expect([...plan.containers].sort((a, b) => a.id.localeCompare(b.id))).toEqual([
      { id: "p-a-1", kill: true },
      { id: "p-a-2", kill: false },
    ]);
  });
  it("enforces MaxContainers with an equal share per unit, then oldest first", () => {
    const containers = [0, 1, 2, 3].flatMap((i) => [dead(`p${i}`, "a", 0), dead(`p${i}`, "a", 1)]);
    const plan = planContainerGC({
      ...base,
      containers,
      policy: { minAgeMs: 0, maxPerPodContainer: -1, maxContainers: 3 },
    });
    expect(containers.length - plan.containers.length).toBe(3);
  });
  it("removes not-ready sandboxes without containers, keeping the newest of live pods", () => {
    const sandboxes: GCSandbox[] = [
      { id: "s0", podUid: "p", ready: false, createdAt: 1, attempt: 0 },
      { id: "s1", podUid: "p", ready: false, createdAt: 2, attempt: 1 },
      { id: "s2", podUid: "gone", ready: false, createdAt: 1, attempt: 0 },
      { id: "s3", podUid: "gone", ready: true, createdAt: 2, attempt: 1 },
    ];
    const plan = planContainerGC({
      ...base,
      containers: [],
      sandboxes,
      policy: defaultContainerGCPolicy,
      podLogDirs: ["ns_a_gone", "ns_b_p"],
    });
    expect(plan.sandboxes.sort()).toEqual(["s0", "s2"]);
    expect(plan.podLogDirs).toEqual(["ns_a_gone"]);
  });
  it("never removes a running container and never leaves more than the limits", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            pod: fc.constantFrom("p1", "p2", "p3", "gone"),
            name: fc.constantFrom("a", "b"),
            attempt: fc.integer({ min: 0, max: 9 }),
            running: fc.boolean(),
          }),
          { maxLength: 30 },
        ),
        fc.integer({ min: -1, max: 3 }),
        fc.integer({ min: -1, max: 8 }),
        (specs, perPod, max) => {
          const containers = specs.map(
            (s, i): GCContainer => ({
              ...dead(s.pod, s.name, s.attempt),
              id: `c${i}`,
              state: s.running ? "running" : "exited",
            }),
          );
          const plan = planContainerGC({
            ...base,
            containers,
            policy: { minAgeMs: 0, maxPerPodContainer: perPod, maxContainers: max },
          });
          const removed = new Set(plan.containers.map((c) => c.id));
          expect(removed.size).toBe(plan.containers.length);
          for (const c of containers) if (c.state === "running") expect(removed.has(c.id)).toBe(false);
          const left = containers.filter((c) => c.state !== "running" && !removed.has(c.id));
          expect(left.some((c) => c.podUid === "gone")).toBe(false);
          if (perPod >= 0) {
            const perUnit = new Map<string, number>();
            for (const c of left)
              perUnit.set(`${c.podUid}/${c.name}`, (perUnit.get(`${c.podUid}/${c.name}`) ?? 0) + 1);
            for (const n of perUnit.values()) expect(n).toBeLessThanOrEqual(perPod);
          }
          if (max >= 0) expect(left.length).toBeLessThanOrEqual(Math.max(max, 0));
        },
      ),
      { numRuns: 500, seed: 4 },
    );
  });
});
