/**
 * `npm run bench -- node`: kite node on a private containerd (warm image, host-network static pods, as the
 * upstream numbers in issue 6 were taken): start latency of 1 pod and of 20 at once, time to 110 Running pods,
 * the daemon's RSS idle and with 110 pods, and its steady CPU with 110 pods.
 */
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createCriClient } from "../adapters/cri/mod.ts";
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

function busyPercent(from: [number, number]): number {
  const [b, t] = machineJiffies();
  return Math.round(((b - from[0]) / Math.max(1, t - from[1])) * 100);
}

export const benchmark: Benchmark = {
  name: "node",
  description:
    "kite node on containerd 1.6: pod start latency (1, 20 at once), 110 pods to Running, RSS, steady CPU",
  async run(log) {
    const env = await startNodeEnv();
    const cri = createCriClient({ socketPath: env.ctd.socketPath });
    const running = async (): Promise<Set<string>> => {
      const { containers } = await cri.runtime.listContainers({ filter: { state: { state: 1 } } });
      return new Set(containers.map((c) => c.labels["io.kubernetes.pod.name"] ?? ""));
    };
    /** Writes the manifests at once and returns each pod's manifest→running latency (ms). */
    const startPods = async (names: string[], timeoutMs: number): Promise<number[]> => {
      const t0 = performance.now();
      for (const n of names) writeFileSync(join(env.manifests, `${n}.yaml`), manifest(n));
      const seen = new Map<string, number>();
      while (seen.size < names.length) {
        if (performance.now() - t0 > timeoutMs)
          throw new Error(`only ${seen.size}/${names.length} pods running after ${timeoutMs} ms`);
        const r = await running();
        const now = performance.now();
        for (const n of names) if (!seen.has(n) && r.has(`${n}-testnode`)) seen.set(n, now - t0);
        await sleep(25);
      }
      return names.map((n) => seen.get(n)!);
    };
    const removeAll = async () => {
      for (const f of readdirSync(env.manifests)) rmSync(join(env.manifests, f));
      const until = Date.now() + 180_000;
      while ((await cri.runtime.listPodSandbox({})).items.length > 0 && Date.now() < until) await sleep(500);
    };
    try {
      // The daemon as deployed: bundled by esbuild (kite node alone, so the other commands' state cannot break it).
      const bundle = await buildNodeBundle();
      const daemon = await env.startDaemon([], {
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
      for (let i = 0; i < (process.env.KITE_BENCH_QUICK ? 1 : 5); i++) {
        const [ms] = await startPods([`single-${i}`], 60_000);
        single.push(ms!);
        await removeAll();
      }
      const one = summarize(single, "s");
      log(
        `1 pod: manifest written → container running p50 ${one.p50} s (5 runs, min ${one.min}, max ${one.max})`,
      );

      const c20 = [cpuSeconds(pid), cpuSeconds(env.ctd.pid)];
      const j20 = machineJiffies();
      const twenty = summarize(
        await startPods(
          Array.from({ length: 20 }, (_, i) => `batch-${i}`),
          120_000,
        ),
        "s",
      );
      log(
        `20 pods at once: p50 ${twenty.p50} s, p99 ${twenty.p99} s (CPU: daemon ${(cpuSeconds(pid) - c20[0]!).toFixed(2)} s, containerd ${(cpuSeconds(env.ctd.pid) - c20[1]!).toFixed(2)} s; machine ${busyPercent(j20)}% busy)`,
      );
      await removeAll();

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
      await env.destroy();
    }
  },
};
