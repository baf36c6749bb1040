/**
 * Eviction ranking: TypeScript twin vs WebAssembly kernel, for a full node (110 pods) and a large one (10 000).
 * "kernel" = ordering prepared keys (what the two twins do); "rankMemoryPressure" = the whole public call
 * (stats lookup, requests, keys, order) with each kernel forced. Target: 110 pods ≤ 20 µs.
 */
import type { Pod } from "../core/api/mod.ts";
import {
  type PodStatsSummary,
  rankByKeysTs,
  rankByKeysWasm,
  rankMemoryPressure,
  setRankKernel,
} from "../core/kubelet/mod.ts";
import { type Benchmark, measureSync } from "./harness.ts";

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function workload(n: number) {
  const rnd = lcg(n);
  const pods: Pod[] = [];
  const stats = new Map<string, PodStatsSummary>();
  for (let i = 0; i < n; i++) {
    const uid = `pod-${i}`;
    const req = rnd() < 0.3 ? undefined : `${Math.floor(rnd() * 512) + 1}Mi`;
    pods.push({
      metadata: { name: uid, namespace: "default", uid },
      spec: {
        priority: Math.floor(rnd() * 4) * 1000,
        containers: [{ name: "app", ...(req ? { resources: { requests: { memory: req } } } : {}) }],
      },
    });
    if (rnd() > 0.02)
      stats.set(uid, {
        podRef: { name: uid, uid },
        memory: { workingSetBytes: Math.floor(rnd() * 2 ** 30) },
      });
  }
  const k = 4;
  const keys = new Float64Array(n * k);
  for (let i = 0; i < n * k; i++) keys[i] = Math.floor(rnd() * 8) * 1e6;
  return { pods, stats: (p: Pod) => stats.get(p.metadata.uid!), keys: { keys, n, k } };
}

export const benchmark: Benchmark = {
  name: "eviction",
  description: "eviction ranking for 110 and 10 000 pods, TypeScript vs WebAssembly",
  async run(log) {
    const results: Record<string, unknown> = {};
    for (const n of [110, 10_000]) {
      const w = workload(n);
      const iterations = n <= 110 ? 20_000 : 200;
      const kernelTs = measureSync(() => rankByKeysTs(w.keys), {
        iterations,
        warmup: iterations / 10,
        unit: "us",
      });
      const kernelWasm = measureSync(() => rankByKeysWasm(w.keys), {
        iterations,
        warmup: iterations / 10,
        unit: "us",
      });
      setRankKernel("ts");
      const fullTs = measureSync(() => rankMemoryPressure(w.pods, w.stats), {
        iterations,
        warmup: iterations / 10,
        unit: "us",
      });
      setRankKernel("wasm");
      const fullWasm = measureSync(() => rankMemoryPressure(w.pods, w.stats), {
        iterations,
        warmup: iterations / 10,
        unit: "us",
      });
      setRankKernel(undefined);
      const faster = kernelWasm.p50 < kernelTs.p50 ? "wasm" : "ts";
      log(
        `${n} pods: kernel ts p50 ${kernelTs.p50} µs / wasm p50 ${kernelWasm.p50} µs; ` +
          `rankMemoryPressure ts p50 ${fullTs.p50} µs / wasm p50 ${fullWasm.p50} µs; faster kernel: ${faster}`,
      );
      results[`pods_${n}`] = {
        kernelTs,
        kernelWasm,
        rankMemoryPressureTs: fullTs,
        rankMemoryPressureWasm: fullWasm,
        faster,
      };
    }
    const p110 = results.pods_110 as {
      rankMemoryPressureTs: { p50: number };
      rankMemoryPressureWasm: { p50: number };
    };
    const best110 = Math.min(p110.rankMemoryPressureTs.p50, p110.rankMemoryPressureWasm.p50);
    results.target = { pods: 110, p50BudgetUs: 20, bestP50Us: best110, met: best110 <= 20 };
    log(`target 110 pods ≤ 20 µs: best p50 ${best110} µs → ${best110 <= 20 ? "met" : "NOT met"}`);
    return results;
  },
};
