/**
 * Proxy core at scale (rule generation only; bench/proxy.bench.ts measures the real apply):
 * 1k and 10k services × 10 endpoints, iptables (minimal and upstream partial forms) and nftables.
 * Per case: full-sync generation time and input size, and one-endpoint-change generation time and
 * input size. Target at 10k services: one-endpoint change input ≤ 4 KB in both modes.
 * Narrow with KITE_BENCH_PROXY_SCALES=1000.
 */
import type { EndpointSlice, Service } from "../core/api/mod.ts";
import {
  createProxier,
  endpointChainName,
  nftNameBase,
  type PartialSyncForm,
  type ProxyMode,
} from "../core/proxy/mod.ts";
import { type Benchmark, summarize } from "./harness.ts";

const ENDPOINTS = 10;
const ip = (n: number) => `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;

function service(i: number): Service {
  return {
    kind: "Service",
    metadata: { namespace: `ns${i % 100}`, name: `svc-${i}` },
    spec: {
      clusterIP: ip((10 << 24) + (96 << 16) + 256 + i),
      ports: [{ name: "http", port: 80, protocol: "TCP" }],
    },
  };
}

function slice(i: number, gen = 0): EndpointSlice {
  return {
    kind: "EndpointSlice",
    metadata: {
      namespace: `ns${i % 100}`,
      name: `svc-${i}-1`,
      labels: { "kubernetes.io/service-name": `svc-${i}` },
    },
    addressType: "IPv4",
    ports: [{ name: "http", port: 8080, protocol: "TCP" }],
    endpoints: Array.from({ length: ENDPOINTS }, (_, k) => ({
      addresses: [ip((10 << 24) + (128 << 16) + i * 16 + k + (k === 0 ? gen * 11 : 0))],
      conditions: { ready: true },
    })),
  };
}

interface CaseResult {
  mode: ProxyMode;
  form?: PartialSyncForm;
  services: number;
  endpoints: number;
  fullSync: { generateMs: ReturnType<typeof summarize>; bytes: number; lines: number };
  oneEndpointChange: {
    generateMs: ReturnType<typeof summarize>;
    bytes: number;
    lines: number;
    withinTarget: boolean;
  };
}

function runCase(mode: ProxyMode, form: PartialSyncForm, n: number, log: (l: string) => void): CaseResult {
  const p = createProxier({
    mode,
    hostname: "node-a",
    nodeIPs: ["192.168.0.2"],
    clusterCIDR: "10.0.0.0/8",
    partialSyncForm: form,
  });
  for (let i = 0; i < n; i++) {
    p.handle({ kind: "Service", op: "add", object: service(i) });
    p.handle({ kind: "EndpointSlice", op: "add", object: slice(i) });
  }
  const fullTimes: number[] = [];
  let full = p.sync({ now: 0 });
  p.applied(full.id, true);
  const reps = n >= 10000 ? 3 : 5;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    full = p.sync({ now: 1 + r, forceFull: true });
    fullTimes.push(performance.now() - t0);
    p.applied(full.id, true);
  }
  const changeTimes: number[] = [];
  let bytes = 0;
  let lines = 0;
  const changes = n >= 10000 ? 30 : 50;
  for (let c = 0; c < changes; c++) {
    const i = (c * 7919) % n;
    p.handle({ kind: "EndpointSlice", op: "update", object: slice(i, c + 1) });
    const t0 = performance.now();
    const r = p.sync({ now: 100_000 + c * 60_000 });
    changeTimes.push(performance.now() - t0);
    p.applied(r.id, true);
    bytes = Math.max(bytes, r.counts.bytes + (r.cleanupText?.length ?? 0));
    lines = Math.max(lines, r.counts.lines);
  }
  const res: CaseResult = {
    mode,
    ...(mode === "iptables" ? { form } : {}),
    services: n,
    endpoints: n * ENDPOINTS,
    fullSync: { generateMs: summarize(fullTimes), bytes: full.counts.bytes, lines: full.counts.lines },
    oneEndpointChange: { generateMs: summarize(changeTimes), bytes, lines, withinTarget: bytes <= 4096 },
  };
  log(
    `${mode}${mode === "iptables" ? `/${form}` : ""} ${n} svc: full ${res.fullSync.generateMs.p50} ms, ${(res.fullSync.bytes / 1e6).toFixed(1)} MB, ${res.fullSync.lines} lines; ` +
      `1-endpoint change ${res.oneEndpointChange.generateMs.p50} ms (p99 ${res.oneEndpointChange.generateMs.p99}), ≤ ${bytes} B, ${lines} lines`,
  );
  return res;
}

export const benchmark: Benchmark = {
  name: "proxy-core",
  description:
    "proxy core rule generation: full sync and one-endpoint change, 1k/10k services × 10 endpoints",
  async run(log) {
    const scales = (process.env.KITE_BENCH_PROXY_SCALES ?? "1000,10000").split(",").map(Number);
    // Chain-name hashing (SHA-256 + base32) cold, for 110k names: the WASM candidate.
    const hashTimes: number[] = [];
    for (let r = 0; r < 3; r++) {
      const t0 = performance.now();
      for (let i = 0; i < 110_000; i++) {
        endpointChainName(
          `bench${r}/svc-${i}:http`,
          "TCP",
          `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}:8080`,
        );
        if (i % 11 === 0) nftNameBase(`bench${r}/svc-${i}/tcp/http`);
      }
      hashTimes.push(performance.now() - t0);
    }
    const hashing = { names: 120_000, ms: summarize(hashTimes) };
    log(`chain-name hashing, 120k cold names: ${hashing.ms.p50} ms`);
    const cases: CaseResult[] = [];
    for (const n of scales) {
      cases.push(runCase("iptables", "minimal", n, log));
      cases.push(runCase("iptables", "upstream", n, log));
      cases.push(runCase("nftables", "minimal", n, log));
    }
    return { endpointsPerService: ENDPOINTS, hashing, cases };
  },
};
