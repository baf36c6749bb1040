import { describe, expect, it } from "../../test/harness.ts";
import type { ContainerStatus, Pod, Probe } from "../api/mod.ts";
import {
  classifyExecResult,
  classifyGrpcResult,
  classifyTcpResult,
  ProberManager,
  type ProbeVerdict,
  ProbeWorker,
} from "./mod.ts";

const t0 = Date.parse("2026-01-01T00:00:00Z");
const ok: ProbeVerdict = { result: "Success", output: "" };
const bad: ProbeVerdict = { result: "Failure", output: "HTTP probe failed with statuscode: 500" };

function pod(probes: { liveness?: Probe; readiness?: Probe; startup?: Probe }, restartPolicy?: "Never"): Pod {
  return {
    metadata: { name: "p", namespace: "ns", uid: "u1" },
    spec: {
      ...(restartPolicy ? { restartPolicy } : {}),
      containers: [
        {
          name: "c",
          ports: [{ name: "http", containerPort: 8080 }],
          ...(probes.liveness ? { livenessProbe: probes.liveness } : {}),
          ...(probes.readiness ? { readinessProbe: probes.readiness } : {}),
          ...(probes.startup ? { startupProbe: probes.startup } : {}),
        },
      ],
    },
    status: { podIP: "10.1.0.5" },
  };
}

function running(id = "containerd://a", started = true): ContainerStatus {
  return {
    name: "c",
    containerID: id,
    ready: false,
    restartCount: 0,
    image: "i",
    imageID: "i",
    started,
    state: { running: { startedAt: new Date(t0).toISOString() } },
  };
}

describe("ProbeWorker", () => {
  it("waits initialDelaySeconds, then probes every periodSeconds", () => {
    const probe: Probe = {
      httpGet: { port: "http", path: "/healthz" },
      initialDelaySeconds: 15,
      periodSeconds: 5,
    };
    const p = pod({ readiness: probe });
    const w = new ProbeWorker({ podUid: "u1", containerName: "c", probeType: "readiness", probe, now: t0 });
    expect(w.nextRunAt).toBe(t0);
    const tick = (now: number) => w.tick({ now, pod: p, podPhase: "Running", containerStatus: running() });
    expect(tick(t0)).toMatchObject({ kind: "skip", reason: "initial delay" });
    expect(w.nextRunAt).toBe(t0 + 5000);
    expect(tick(t0 + 10_000).kind).toBe("skip");
    const t = tick(t0 + 15_000);
    expect(t).toMatchObject({ kind: "probe", containerID: "containerd://a" });
    if (t.kind === "probe")
      expect(t.action).toMatchObject({ kind: "http", url: "http://10.1.0.5:8080/healthz" });
    expect(w.nextRunAt).toBe(t0 + 20_000);
  });

  it("readiness starts not ready and flips after successThreshold successes, back after failureThreshold failures", () => {
    const probe: Probe = { exec: { command: ["true"] }, successThreshold: 2, failureThreshold: 3 };
    const p = pod({ readiness: probe });
    const w = new ProbeWorker({ podUid: "u1", containerName: "c", probeType: "readiness", probe, now: t0 });
    w.tick({ now: t0, pod: p, podPhase: "Running", containerStatus: running() });
    expect(w.result).toBe("Failure");
    expect(w.report(ok)).toMatchObject({ result: "Failure", changed: false });
    expect(w.report(ok)).toMatchObject({ result: "Success", changed: true, kill: false });
    expect(w.report(bad).result).toBe("Success");
    expect(w.report(bad).result).toBe("Success");
    expect(w.report(bad)).toMatchObject({ result: "Failure", changed: true, kill: false });
    // Warning counts as success, an error is discarded
    expect(w.report({ result: "Unknown", output: "", error: "boom" })).toMatchObject({ discarded: true });
    w.report({ result: "Warning", output: "redirect" });
    expect(w.report({ result: "Warning", output: "redirect" }).result).toBe("Success");
  });

  it("liveness failure asks for a kill, then holds until a new container", () => {
    const probe: Probe = { tcpSocket: { port: 8080 }, failureThreshold: 2, terminationGracePeriodSeconds: 7 };
    const p = pod({ liveness: probe });
    const w = new ProbeWorker({ podUid: "u1", containerName: "c", probeType: "liveness", probe, now: t0 });
    const tick = (now: number, s = running()) =>
      w.tick({ now, pod: p, podPhase: "Running", containerStatus: s });
    expect(tick(t0).kind).toBe("probe");
    expect(w.result).toBe("Success");
    expect(w.report(bad).kill).toBe(false);
    expect(w.report(bad)).toMatchObject({ result: "Failure", kill: true, killGracePeriodSeconds: 7 });
    expect(tick(t0 + 10_000)).toMatchObject({ kind: "skip", reason: "on hold until a new container" });
    expect(tick(t0 + 20_000, running("containerd://b")).kind).toBe("probe");
    expect(w.result).toBe("Success");
  });

  it("startup gates liveness and readiness, and stops itself once started", () => {
    const probe: Probe = { exec: { command: ["check"] } };
    const p = pod({ startup: probe, liveness: probe });
    const live = new ProbeWorker({ podUid: "u1", containerName: "c", probeType: "liveness", probe, now: t0 });
    const start = new ProbeWorker({ podUid: "u1", containerName: "c", probeType: "startup", probe, now: t0 });
    const notStarted = running("containerd://a", false);
    expect(live.tick({ now: t0, pod: p, podPhase: "Running", containerStatus: notStarted })).toMatchObject({
      kind: "skip",
      reason: "waiting for the startup probe",
    });
    expect(start.tick({ now: t0, pod: p, podPhase: "Running", containerStatus: notStarted }).kind).toBe(
      "probe",
    );
    expect(start.result).toBe("Unknown");
    expect(start.report(ok)).toMatchObject({ result: "Success", changed: true });
    const started = running("containerd://a", true);
    expect(start.tick({ now: t0 + 10_000, pod: p, podPhase: "Running", containerStatus: started }).kind).toBe(
      "skip",
    );
    expect(live.tick({ now: t0 + 10_000, pod: p, podPhase: "Running", containerStatus: started }).kind).toBe(
      "probe",
    );
  });

  it("stops for terminal pods and for dead containers that will not restart", () => {
    const probe: Probe = { exec: { command: ["x"] } };
    const w = new ProbeWorker({ podUid: "u1", containerName: "c", probeType: "readiness", probe, now: t0 });
    expect(w.tick({ now: t0, pod: pod({ readiness: probe }), podPhase: "Succeeded" }).kind).toBe("stop");
    expect(w.stopped).toBe(true);
    const w2 = new ProbeWorker({ podUid: "u1", containerName: "c", probeType: "readiness", probe, now: t0 });
    const dead: ContainerStatus = { ...running(), state: { terminated: { exitCode: 1 } } };
    expect(
      w2.tick({
        now: t0,
        pod: pod({ readiness: probe }, "Never"),
        podPhase: "Running",
        containerStatus: dead,
      }).kind,
    ).toBe("stop");
  });

  it("jitters the first probe only right after the kubelet started", () => {
    const probe: Probe = { exec: { command: ["x"] }, periodSeconds: 10 };
    const base = {
      podUid: "u",
      containerName: "c",
      probeType: "readiness" as const,
      probe,
      random: () => 0.5,
    };
    expect(new ProbeWorker({ ...base, now: t0, kubeletStartedAt: t0 - 1000 }).nextRunAt).toBe(t0 + 5000);
    expect(new ProbeWorker({ ...base, now: t0, kubeletStartedAt: t0 - 60_000 }).nextRunAt).toBe(t0);
  });
});

describe("ProberManager", () => {
  it("derives started and ready from the probe results", () => {
    const probe: Probe = { exec: { command: ["x"] } };
    const p = pod({ readiness: probe, startup: probe });
    const m = new ProberManager();
    expect(m.addPod(p, t0).length).toBe(2);
    expect(m.addPod(p, t0).length).toBe(0);
    const status = { phase: "Running" as const, containerStatuses: [running("containerd://a", false)] };
    let s = m.updatePodStatus(p, status, t0);
    expect(s.containerStatuses?.[0]).toMatchObject({ started: false, ready: false });
    const start = m.worker("u1", "c", "startup")!;
    start.tick({ now: t0, pod: p, podPhase: "Running", containerStatus: status.containerStatuses[0] });
    start.report(ok);
    s = m.updatePodStatus(p, status, t0);
    expect(s.containerStatuses?.[0]).toMatchObject({ started: true, ready: false });
    const ready = m.worker("u1", "c", "readiness")!;
    ready.tick({ now: t0, pod: p, podPhase: "Running", containerStatus: { ...running(), started: true } });
    ready.report(ok);
    expect(m.updatePodStatus(p, status, t0).containerStatuses?.[0]).toMatchObject({
      started: true,
      ready: true,
    });
    expect(m.due(t0 + 10_000).length).toBe(2);
    m.removePod("u1");
    expect(m.nextWakeAt()).toBeUndefined();
  });
  it("a container without probes is started and ready while running", () => {
    const m = new ProberManager();
    const p = pod({});
    m.addPod(p, t0);
    const s = m.updatePodStatus(p, { containerStatuses: [running()] }, t0);
    expect(s.containerStatuses?.[0]).toMatchObject({ started: true, ready: true });
  });
});

describe("probe result classification", () => {
  it("TCP, exec and gRPC", () => {
    expect(classifyTcpResult({ connected: true }).result).toBe("Success");
    expect(classifyTcpResult({ connected: false, error: "connection refused" })).toEqual({
      result: "Failure",
      output: "connection refused",
    });
    expect(classifyExecResult({ exitCode: 0, output: "ok" })).toEqual({ result: "Success", output: "ok" });
    expect(classifyExecResult({ exitCode: 2, output: "x".repeat(20_000) }).output.length).toBe(10_240);
    expect(classifyExecResult({ timedOut: true, command: ["sh", "-c", "sleep 9"] })).toEqual({
      result: "Failure",
      output: 'command "sh -c sleep 9" timed out',
    });
    expect(classifyExecResult({ error: "no such container" }).result).toBe("Unknown");
    expect(classifyGrpcResult({ status: "SERVING" }).result).toBe("Success");
    expect(classifyGrpcResult({ status: 2 })).toEqual({
      result: "Failure",
      output: 'service unhealthy (responded with "NOT_SERVING")',
    });
    expect(classifyGrpcResult({ code: "Unimplemented", error: "unknown service" }).output).toContain(
      "does not implement the grpc health protocol",
    );
  });
});
