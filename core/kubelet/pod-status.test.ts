import fc from "fast-check";
import { loadFixture } from "../../test/fixtures.ts";
import { describe, expect, it } from "../../test/harness.ts";
import type { ContainerStatus, PodSpec } from "../api/mod.ts";
import type { FixtureFileData } from "./fixture-pods.test-util.ts";
import {
  type ConditionContainerStatus,
  generateContainersReadyCondition,
  generatePodConditions,
  generatePodInitializedCondition,
  generatePodReadyCondition,
  generatePodReadyToStartContainersCondition,
  getPhase,
  type SandboxStatusSummary,
} from "./mod.ts";

const phase = await loadFixture<FixtureFileData>("kubelet/pod_phase.json");
const conditions = await loadFixture<FixtureFileData>("kubelet/pod_conditions.json");

interface PhaseInput {
  spec: PodSpec;
  initContainerStatuses: ContainerStatus[];
  containerStatuses: ContainerStatus[];
  podIsTerminal: boolean;
  staticPod: boolean;
}

describe("kubelet fixtures: pod_phase.json", () => {
  it("has cases", () => expect(phase.cases.length).toBeGreaterThan(0));
  for (const c of phase.cases) {
    it(c.id, () => {
      expect(c.kind).toBe("status.podPhase");
      const input = c.input as unknown as PhaseInput;
      expect(getPhase(input)).toBe((c.expected as { phase: string }).phase);
    });
  }
});

interface ConditionInput {
  spec: PodSpec & { readinessGates?: { conditionType: string }[] };
  containerStatuses: ConditionContainerStatus[] | null;
  podPhase: "Pending" | "Running" | "Succeeded" | "Failed";
  conditions?: { type: string; status: "True" | "False" }[];
  sandboxStatuses?: SandboxStatusSummary[];
}

describe("kubelet fixtures: pod_conditions.json", () => {
  for (const c of conditions.cases) {
    it(c.id, () => {
      const input = c.input as unknown as ConditionInput;
      const want = (c.expected as { condition: Record<string, string> }).condition;
      let got: Record<string, string>;
      switch (c.kind) {
        case "status.containersReadyCondition":
          got = { ...generateContainersReadyCondition(input.spec, input.containerStatuses, input.podPhase) };
          break;
        case "status.podReadyCondition":
          got = {
            ...generatePodReadyCondition(
              input.spec,
              input.conditions,
              input.containerStatuses,
              input.podPhase,
            ),
          };
          break;
        case "status.podInitializedCondition":
          got = { ...generatePodInitializedCondition(input.spec, input.containerStatuses, input.podPhase) };
          // upstream compares only type, status and reason here
          delete got.message;
          break;
        case "status.podReadyToStartContainersCondition":
          got = { ...generatePodReadyToStartContainersCondition(input.sandboxStatuses ?? []) };
          delete got.reason;
          delete got.message;
          break;
        default:
          throw new Error(`unknown kind ${c.kind}`);
      }
      expect(got).toEqual(want);
    });
  }
});

type StateKind = "none" | "running" | "waiting" | "waitingAfterExit" | "terminated";
const stateKinds: StateKind[] = ["none", "running", "waiting", "waitingAfterExit", "terminated"];

function status(
  name: string,
  kind: StateKind,
  exitCode: number,
  started: boolean,
): ContainerStatus | undefined {
  const base = { name, ready: false, restartCount: 0, image: "i", imageID: "i", started };
  switch (kind) {
    case "none":
      return undefined;
    case "running":
      return { ...base, state: { running: {} } };
    case "waiting":
      return { ...base, state: { waiting: { reason: "ContainerCreating" } } };
    case "waitingAfterExit":
      return {
        ...base,
        state: { waiting: { reason: "CrashLoopBackOff" } },
        lastState: { terminated: { exitCode } },
      };
    case "terminated":
      return { ...base, state: { terminated: { exitCode } } };
  }
}

const containerArb = fc.record({
  kind: fc.constantFrom(...stateKinds),
  exitCode: fc.constantFrom(0, 1, 137),
  started: fc.boolean(),
});

describe("getPhase properties", () => {
  it("is never Running unless a container runs or a stopped container will be restarted", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("Always" as const, "OnFailure" as const, "Never" as const),
        fc.array(fc.record({ c: containerArb, sidecar: fc.boolean() }), { maxLength: 3 }),
        fc.array(containerArb, { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        fc.boolean(),
        (restartPolicy, inits, regulars, podIsTerminal, staticPod) => {
          const spec: PodSpec = {
            restartPolicy,
            initContainers: inits.map((x, i) => ({
              name: `init-${i}`,
              ...(x.sidecar ? { restartPolicy: "Always" as const } : {}),
            })),
            containers: regulars.map((_, i) => ({ name: `c-${i}` })),
          };
          const initStatuses = inits
            .map((x, i) => status(`init-${i}`, x.c.kind, x.c.exitCode, x.c.started))
            .filter((s): s is ContainerStatus => !!s);
          const statuses = regulars
            .map((x, i) => status(`c-${i}`, x.kind, x.exitCode, x.started))
            .filter((s): s is ContainerStatus => !!s);
          const got = getPhase({
            spec,
            initContainerStatuses: initStatuses,
            containerStatuses: statuses,
            podIsTerminal,
            staticPod,
          });
          if (got !== "Running") return;
          const anyRunning = [...initStatuses, ...statuses].some((s) => s.state?.running);
          // OnFailure: a container that is waiting again, or exited non-zero, is being restarted
          const restarting = statuses.some(
            (s) => (s.state?.terminated && s.state.terminated.exitCode !== 0) || s.lastState?.terminated,
          );
          const restartable = restartPolicy === "Always" || (restartPolicy === "OnFailure" && restarting);
          expect(anyRunning || restartable).toBe(true);
          // a pod none of whose regular containers ever ran is never Running
          expect(
            statuses.some((s) => s.state?.running || s.state?.terminated || s.lastState?.terminated),
          ).toBe(true);
        },
      ),
      { numRuns: 2000, seed: 5 },
    );
  });
});

describe("generatePodConditions", () => {
  it("lists the kubelet conditions in upstream order and keeps foreign ones and transition times", () => {
    const spec = { containers: [{ name: "a" }], readinessGates: [{ conditionType: "gate" }] };
    const out = generatePodConditions({
      spec,
      phase: "Running",
      containerStatuses: [{ name: "a", ready: true, state: { running: {} } }],
      sandboxes: [{ state: "SANDBOX_READY", ip: "10.0.0.2" }],
      existing: [
        { type: "gate", status: "True" },
        { type: "ContainersReady", status: "True", lastTransitionTime: "t0" },
      ],
      now: "t1",
    });
    expect(out.map((c) => `${c.type}=${c.status}`)).toEqual([
      "PodReadyToStartContainers=True",
      "Initialized=True",
      "Ready=True",
      "ContainersReady=True",
      "PodScheduled=True",
      "gate=True",
    ]);
    expect(out.find((c) => c.type === "ContainersReady")?.lastTransitionTime).toBe("t0");
    expect(out.find((c) => c.type === "Ready")?.lastTransitionTime).toBe("t1");
  });
});
