// Eviction ranking kernel: orders n pods by k f64 keys per pod (row-major, lower first), ties broken by the
// pod's input index, so the order is total and equals the TypeScript twin (core/kubelet/rank-keys.ts).
// Layout in scratch: keys f64[n*k] | out i32[n] | tmp i32[n].
export { scratch } from "./shared/scratch";

function less(keys: usize, k: i32, a: i32, b: i32): bool {
  const ra = keys + <usize>(a * k) * 8;
  const rb = keys + <usize>(b * k) * 8;
  for (let j = 0; j < k; j++) {
    const x = load<f64>(ra + <usize>j * 8);
    const y = load<f64>(rb + <usize>j * 8);
    if (x < y) return true;
    if (x > y) return false;
  }
  return a < b;
}

/** Writes the eviction order (indices into the input) to `out`. */
export function rank(keys: usize, n: i32, k: i32, out: usize, tmp: usize): void {
  for (let i = 0; i < n; i++) store<i32>(out + <usize>i * 4, i);
  // insertion sort runs of 16, then bottom-up merges
  const run = 16;
  for (let lo = 0; lo < n; lo += run) {
    const hi = min(lo + run, n);
    for (let i = lo + 1; i < hi; i++) {
      const v = load<i32>(out + <usize>i * 4);
      let j = i - 1;
      while (j >= lo) {
        const w = load<i32>(out + <usize>j * 4);
        if (!less(keys, k, v, w)) break;
        store<i32>(out + <usize>(j + 1) * 4, w);
        j--;
      }
      store<i32>(out + <usize>(j + 1) * 4, v);
    }
  }
  let src = out;
  let dst = tmp;
  for (let width = run; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = min(lo + width, n);
      const hi = min(lo + 2 * width, n);
      let i = lo;
      let j = mid;
      let o = lo;
      while (i < mid && j < hi) {
        const a = load<i32>(src + <usize>i * 4);
        const b = load<i32>(src + <usize>j * 4);
        if (less(keys, k, b, a)) {
          store<i32>(dst + <usize>o * 4, b);
          j++;
        } else {
          store<i32>(dst + <usize>o * 4, a);
          i++;
        }
        o++;
      }
      while (i < mid) {
        store<i32>(dst + <usize>o * 4, load<i32>(src + <usize>i * 4));
        i++;
        o++;
      }
      while (j < hi) {
        store<i32>(dst + <usize>o * 4, load<i32>(src + <usize>j * 4));
        j++;
        o++;
      }
    }
    const t = src;
    src = dst;
    dst = t;
  }
  if (src !== out) memory.copy(out, src, <usize>n * 4);
}
