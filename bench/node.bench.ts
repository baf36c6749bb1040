/**
 * `npm run bench -- node`: kite node on a private containerd (warm image, host-network static pods, as the
 * upstream numbers in issue 6 were taken): start latency of 1 pod and of 20 at once, time to 110 Running pods,
 * the daemon's RSS idle and with 110 pods, and its steady CPU with 110 pods.
 */
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BinaryReader } from "@bufbuild/protobuf/wire";
import { createClient } from "@connectrpc/connect";
import { Events } from "../adapters/cri/gen/containerd/services/events/v1/events_pb.js";
import {
  type CriClient,
  createCriClient,
  createUnixGrpcTransport,
  cri as criApi,
} from "../adapters/cri/mod.ts";
import { localImages } from "../adapters/node/local-images.ts";
import { buildNodeBundle } from "../test/node/build-node-bundle.ts";
import { startNodeEnv } from "../test/node/node-env.ts";
import { type Benchmark, summarize } from "./harness.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function manifest(name: string): string {
  return `apiVersion: v1
kind: Pod
metadata: { name: ${name} }
spec:
  hostNetwork: true
  terminationGracePeriodSeconds: 1
  containers:
    - name: app
      image: ${localImages.busybox}
      command: ["sleep", "36000"]
`;
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Math.round((Number(m?.[1] ?? 0) / 1024) * 10) / 10;
}

/** utime + stime of a process, in seconds. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Busy and total jiffies of the whole machine (/proc/stat), to see whether a phase was CPU-bound. */
function machineJiffies(): [number, number] {
  const f = readFileSync("/proc/stat", "utf8").split("\n")[0]!.split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return [total - (f[3] ?? 0) - (f[4] ?? 0), total];
}

/** CPU seconds this (bench) process used since `from`. */
function cpuSince(from: NodeJS.CpuUsage): string {
  const d = process.cpuUsage(from);
  return ((d.user + d.system) / 1e6).toFixed(2);
}

function busyPercent(from: [number, number]): number {
  const [b, t] = machineJiffies();
  return Math.round(((b - from[0]) / Math.max(1, t - from[1])) * 100);
}

const traceSteps = [
  "added",
  "sync",
  "RunPodSandbox",
  "RunPodSandbox done",
  "PodSandboxStatus done",
  "ImageStatus",
  "CreateContainer",
  "StartContainer",
  "StartContainer done",
];

/**
 * KITE_BENCH_TRACE=1: the daemon runs with -v 4 and JSON logs; this turns its trace lines into one timeline per
 * pod (ms after the manifests were written, up to the bench's own observation) and counts the CRI calls made
 * in the window.
 */
function traceReport(
  logText: string,
  fromMs: number,
  toMs: number,
  names: string[],
  seen: number[],
): string[] {
  const steps = new Map<string, Map<string, number>>();
  const ops = new Map<string, { n: number; ms: number }>();
  let relists = 0;
  for (const line of logText.split("\n")) {
    if (!line.startsWith("{")) continue;
    let r: { msg?: string; ts?: number; pod?: string; step?: string; t?: number; op?: string; ms?: number };
    try {
      r = JSON.parse(line);
    } catch {
      continue;
    }
    const at = r.t ?? (r.ts ?? 0) * 1000;
    if (at < fromMs || at > toMs) continue;
    if (r.msg === "trace" && r.pod && r.step) {
      const m = steps.get(r.pod) ?? new Map<string, number>();
      steps.set(r.pod, m);
      if (!m.has(r.step)) m.set(r.step, at - fromMs);
    } else if (r.msg === "relist") {
      relists++;
    } else if (r.msg === "cri" && r.op) {
      const o = ops.get(r.op) ?? { n: 0, ms: 0 };
      o.n++;
      o.ms += r.ms ?? 0;
      ops.set(r.op, o);
    }
  }
  const out = [
    `pod        ${traceSteps
      .map((s) =>
        s
          .replace(/ done$/, "✓")
          .slice(0, 12)
          .padStart(13),
      )
      .join("")}     seen`,
  ];
  names.forEach((n, i) => {
    const m = steps.get(`${n}-testnode`) ?? steps.get(n);
    const cells = traceSteps.map((s) => {
      const v = m?.get(s);
      return (v === undefined ? "-" : String(Math.round(v))).padStart(13);
    });
    out.push(`${n.padEnd(11)}${cells.join("")}${String(Math.round(seen[i] ?? 0)).padStart(9)}`);
  });
  out.push(
    `PLEG relists: ${relists}; CRI calls: ${[...ops]
      .sort((a, b) => b[1].n - a[1].n)
      .map(([op, o]) => `${op} ${o.n} (avg ${(o.ms / o.n).toFixed(1)} ms)`)
      .join(", ")}`,
  );
  return out;
}

/** The container id of a containerd TaskStart event (Envelope.event = 4: Any{value = 2: TaskStart{container_id = 1}}). */
function taskStartContainerId(envelope: {
  $unknown?: { no: number; data: Uint8Array }[];
}): string | undefined {
  const field = envelope.$unknown?.find((u) => u.no === 4);
  if (!field) return undefined;
  try {
    const any = new BinaryReader(new BinaryReader(field.data).bytes());
    let value: Uint8Array | undefined;
    while (any.pos < any.len) {
      const [no, wt] = any.tag();
      if (no === 2) value = any.bytes();
      else any.skip(wt);
    }
    if (!value) return undefined;
    const ev = new BinaryReader(value);
    while (ev.pos < ev.len) {
      const [no, wt] = ev.tag();
      if (no === 1) return ev.string();
      ev.skip(wt);
    }
  } catch {
    // not a TaskStart
  }
  return undefined;
}

/**
 * When each pod's container is RUNNING in the CRI, observed cheaply (the measuring must not steal the CPU it
 * measures): containerd's /tasks/start events name the container, and a CRI ContainerStatus per event confirms
 * state RUNNING (the time recorded). A listContainers every 250 ms backs the events up (`fallbacks` counts pods
 * only it saw). Keys are pod names as the CRI labels hold them.
 */
function watchRunning(
  cri: CriClient,
  socketPath: string,
): { seen: Map<string, number>; fallbacks(): number; stop(): void } {
  const seen = new Map<string, number>();
  const ac = new AbortController();
  let fallbacks = 0;
  const mark = (pod: string | undefined, fromPoll: boolean) => {
    if (!pod || seen.has(pod)) return;
    seen.set(pod, performance.now());
    if (fromPoll) fallbacks++;
  };
  const confirm = async (containerId: string) => {
    for (let i = 0; i < 200 && !ac.signal.aborted; i++) {
      let st: criApi.ContainerStatus | undefined;
      try {
        st = (await cri.runtime.containerStatus({ containerId })).status;
      } catch {
        return; // a sandbox (pause) task: not a CRI container
      }
      if (st?.state === criApi.ContainerState.CONTAINER_RUNNING) {
        mark(st.labels["io.kubernetes.pod.name"], false);
        return;
      }
      if (st && st.state !== criApi.ContainerState.CONTAINER_CREATED) return;
      await sleep(5);
    }
  };
  const events = createClient(Events, createUnixGrpcTransport(socketPath));
  void (async () => {
    while (!ac.signal.aborted) {
      try {
        const stream = events.subscribe(
          { filters: ['namespace==k8s.io,topic=="/tasks/start"'] },
          { signal: ac.signal },
        );
        for await (const env of stream) {
          const id = taskStartContainerId(env);
          if (id) void confirm(id);
        }
      } catch {
        // stream ended (stop, or containerd restarting): resubscribe
      }
      await sleep(100);
    }
  })();
  void (async () => {
    while (!ac.signal.aborted) {
      await sleep(250);
      try {
        const { containers } = await cri.runtime.listContainers({ filter: { state: { state: 1 } } });
        for (const c of containers) mark(c.labels["io.kubernetes.pod.name"], true);
      } catch {
        // containerd busy or restarting: next round
      }
    }
  })();
  return { seen, fallbacks: () => fallbacks, stop: () => ac.abort() };
}

export const benchmark: Benchmark = {
  name: "node",
  description:
    "kite node on containerd 1.6: pod start latency (1, 20 at once), 110 pods to Running, RSS, steady CPU",
  async run(log) {
    const env = await startNodeEnv();
    const cri = createCriClient({ socketPath: env.ctd.socketPath });
    const watcher = watchRunning(cri, env.ctd.socketPath);
    let burstEpochMs = 0;
    /** Writes the manifests at once and returns each pod's manifest→running latency (ms). */
    const startPods = async (names: string[], timeoutMs: number): Promise<number[]> => {
      const t0 = performance.now();
      burstEpochMs = Date.now();
      for (const n of names) writeFileSync(join(env.manifests, `${n}.yaml`), manifest(n));
      const { seen } = watcher;
      const keys = names.map((n) => `${n}-testnode`);
      while (!keys.every((k) => seen.has(k))) {
        if (performance.now() - t0 > timeoutMs) {
          const n = keys.filter((k) => seen.has(k)).length;
          throw new Error(`only ${n}/${names.length} pods running after ${timeoutMs} ms`);
        }
        await sleep(50);
      }
      return keys.map((k) => seen.get(k)! - t0);
    };
    const removeAll = async () => {
      for (const f of readdirSync(env.manifests)) rmSync(join(env.manifests, f));
      const until = Date.now() + 180_000;
      while ((await cri.runtime.listPodSandbox({})).items.length > 0 && Date.now() < until) await sleep(500);
    };
    try {
      // The daemon as deployed: bundled by esbuild (kite node alone, so the other commands' state cannot break it).
      const bundle = await buildNodeBundle();
      const trace = !!process.env.KITE_BENCH_TRACE;
      // KITE_BENCH_ONLY=20 or 110: only that part (after the warm-up pod), to keep locked runs short.
      const only = process.env.KITE_BENCH_ONLY;
      const daemonArgs = (process.env.KITE_BENCH_DAEMON_ARGS ?? "").split(" ").filter(Boolean);
      if (trace) daemonArgs.push("-v", "4", "--logging-format", "json");
      const daemon = await env.startDaemon(daemonArgs, {
        bundle,
        nodeFlags: (process.env.KITE_BENCH_NODE_FLAGS ?? "").split(" ").filter(Boolean),
      });
      const pid = daemon.pid!;
      await sleep(3000);
      const rssIdle = rssMiB(pid);
      log(`daemon RSS idle: ${rssIdle} MiB`);

      // Warm-up pod (first sandbox, image status cache, JIT).
      await startPods(["warmup"], 60_000);
      await removeAll();

      const single: number[] = [];
      for (let i = 0; i < (only ? 0 : process.env.KITE_BENCH_QUICK ? 1 : 5); i++) {
        const [ms] = await startPods([`single-${i}`], 60_000);
        single.push(ms!);
        await removeAll();
      }
      const one = single.length ? summarize(single, "s") : undefined;
      if (one) {
        log(
          `1 pod: manifest written → container running p50 ${one.p50} s (${single.length} runs, min ${one.min}, max ${one.max})`,
        );
      }

      let twenty: ReturnType<typeof summarize> | undefined;
      if (only !== "110") {
        const c20 = [cpuSeconds(pid), cpuSeconds(env.ctd.pid)];
        const self20 = process.cpuUsage();
        const j20 = machineJiffies();
        const names20 = Array.from({ length: 20 }, (_, i) => `batch-${i}`);
        const ms20 = await startPods(names20, 120_000);
        twenty = summarize(ms20, "s");
        log(
          `20 pods at once: p50 ${twenty.p50} s, p99 ${twenty.p99} s (CPU: daemon ${(cpuSeconds(pid) - c20[0]!).toFixed(2)} s, containerd ${(cpuSeconds(env.ctd.pid) - c20[1]!).toFixed(2)} s, bench observer ${cpuSince(self20)} s; machine ${busyPercent(j20)}% busy; ${watcher.fallbacks()} pods first seen by the backup poll)`,
        );
        if (trace) {
          await sleep(500);
          const to = burstEpochMs + Math.max(...ms20) + 50;
          for (const l of traceReport(env.log(), burstEpochMs, to, names20, ms20)) log(l);
        }
        await removeAll();
      }
      if (only === "20") return { startLatency20AtOnceSeconds: twenty, rssIdleMiB: rssIdle };

      const c110 = [cpuSeconds(pid), cpuSeconds(env.ctd.pid)];
      const j110 = machineJiffies();
      const t110 = performance.now();
      const all = await startPods(
        Array.from({ length: 110 }, (_, i) => `pod-${i}`),
        300_000,
      );
      const seconds110 = Math.round((performance.now() - t110) / 10) / 100;
      const lat110 = summarize(all, "s");
      log(
        `110 pods: all Running after ${seconds110} s (per-pod p50 ${lat110.p50} s, p99 ${lat110.p99} s; CPU: daemon ${(cpuSeconds(pid) - c110[0]!).toFixed(2)} s, containerd ${(cpuSeconds(env.ctd.pid) - c110[1]!).toFixed(2)} s; machine ${busyPercent(j110)}% busy)`,
      );

      await sleep(15_000);
      const rss110 = rssMiB(pid);
      const cpu0 = cpuSeconds(pid);
      const w0 = performance.now();
      await sleep(process.env.KITE_BENCH_QUICK ? 10_000 : 60_000);
      const cpuPercent =
        Math.round(((cpuSeconds(pid) - cpu0) / ((performance.now() - w0) / 1000)) * 1000) / 10;
      const rss110Steady = rssMiB(pid);
      log(
        `daemon with 110 pods: RSS ${rss110} MiB 15 s after the last start, ${rss110Steady} MiB after the window; steady CPU ${cpuPercent}% of a core (60 s window)`,
      );
      await removeAll();
      return {
        startLatency1PodSeconds: one,
        startLatency20AtOnceSeconds: twenty,
        time110PodsRunningSeconds: seconds110,
        startLatency110Seconds: lat110,
        rssIdleMiB: rssIdle,
        rss110PodsMiB: rss110,
        rss110PodsSteadyMiB: rss110Steady,
        steadyCpuPercentOfCore110Pods: cpuPercent,
        targets: { p99_20: 2, pods110Seconds: 12, rss110MiB: 90, cpuPercent: 4 },
        upstreamKubelet120: {
          onePodSeconds: "0.19-0.28",
          p99_20: "3.3-5.9",
          pods110Seconds: 23,
          rssIdleMiB: 85,
          rss110MiB: 110,
          cpuPercent: "8-9",
        },
      };
    } finally {
      watcher.stop();
      // A graceful stop first, so that a daemon run with --cpu-prof (KITE_BENCH_NODE_FLAGS) writes its profile.
      await env.stopDaemon("SIGTERM").catch(() => {});
      await env.destroy();
    }
  },
};
