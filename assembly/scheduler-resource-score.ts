// The per-node resource scoring kernel (WASM twin of
// core/scheduler/resource-score-kernel.ts). Memory layout at `ptr`, all f64:
//   alloc[nodes*k], nodeRequested[nodes*k], podRequest[k], weights[k],
//   scalar[k], shape[2*points], out[nodes], fractions[k] (scratch)
// Integer steps run in i64 like upstream's int64 arithmetic; float steps use
// the same IEEE operations in the same order as the TypeScript twin.
export { scratch } from "./shared/scratch";

const LEAST: i32 = 0;
const MOST: i32 = 1;
const RATIO: i32 = 2;

function f(ptr: usize, i: i32): f64 {
  return load<f64>(ptr + ((<usize>i) << 3));
}

function brokenLinear(shape: usize, points: i32, p: i64): i64 {
  for (let i = 0; i < points; i++) {
    const u = <i64>f(shape, 2 * i);
    if (p <= u) {
      if (i === 0) return <i64>f(shape, 1);
      const pu = <i64>f(shape, 2 * i - 2);
      const ps = <i64>f(shape, 2 * i - 1);
      return ps + ((<i64>f(shape, 2 * i + 1) - ps) * (p - pu)) / (u - pu);
    }
  }
  return points > 0 ? <i64>f(shape, 2 * points - 1) : 0;
}

export function score(strategy: i32, nodes: i32, k: i32, points: i32, ptr: usize): void {
  const nk = (<usize>(nodes * k)) << 3;
  const alloc = ptr;
  const nodeReq = alloc + nk;
  const pod = nodeReq + nk;
  const weights = pod + ((<usize>k) << 3);
  const scalar = weights + ((<usize>k) << 3);
  const shape = scalar + ((<usize>k) << 3);
  const out = shape + ((<usize>(2 * points)) << 3);
  const fractions = out + ((<usize>nodes) << 3);
  for (let n = 0; n < nodes; n++) {
    const base = n * k;
    let nodeScoreI: i64 = 0;
    let nodeScoreF: f64 = 0;
    let weightSum: i64 = 0;
    let count = 0;
    let total: f64 = 0;
    for (let j = 0; j < k; j++) {
      const podF = f(pod, j);
      if (podF === 0 && f(scalar, j) === 1) continue;
      const a = <i64>f(alloc, base + j);
      if (a === 0) continue;
      const r = <i64>f(nodeReq, base + j) + <i64>podF;
      const w = <i64>f(weights, j);
      if (strategy === LEAST) {
        nodeScoreI += (r > a ? 0 : ((a - r) * 100) / a) * w;
        weightSum += w;
      } else if (strategy === MOST) {
        let used = r;
        if (used > a) used = a;
        nodeScoreI += ((used * 100) / a) * w;
        weightSum += w;
      } else if (strategy === RATIO) {
        const s = brokenLinear(shape, points, r > a ? 100 : (r * 100) / a);
        if (s > 0) {
          nodeScoreF += <f64>(s * w);
          weightSum += w;
        }
      } else {
        let fr = <f64>r / <f64>a;
        if (fr > 1) fr = 1;
        total += fr;
        store<f64>(fractions + ((<usize>count) << 3), fr);
        count++;
      }
    }
    let result: f64 = 0;
    if (strategy !== LEAST && strategy !== MOST && strategy !== RATIO) {
      let std: f64 = 0;
      if (count === 2) {
        std = Math.abs((f(fractions, 0) - f(fractions, 1)) / 2);
      } else if (count > 2) {
        const mean = total / <f64>count;
        let sum: f64 = 0;
        for (let j = 0; j < count; j++) {
          const d = f(fractions, j) - mean;
          sum = sum + d * d;
        }
        std = Math.sqrt(sum / <f64>count);
      }
      result = Math.trunc((1 - std) * 100);
    } else if (weightSum === 0) {
      result = 0;
    } else if (strategy === RATIO) {
      const x = nodeScoreF / <f64>weightSum;
      const t = Math.trunc(x);
      result = x - t >= 0.5 ? t + 1 : t;
    } else {
      result = <f64>(nodeScoreI / weightSum);
    }
    store<f64>(out + ((<usize>n) << 3), result);
  }
}
