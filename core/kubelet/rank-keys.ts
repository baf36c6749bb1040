/**
 * The eviction order as a sort over numeric keys: each pod gets k keys (lower = evicted first), compared
 * lexicographically, ties broken by input index. The TypeScript twin of assembly/eviction-rank.ts; both give the
 * same order for the same keys, because the order is total.
 */
export interface RankKeys {
  /** Row-major: pod i's keys are keys[i*k .. i*k+k). */
  keys: Float64Array;
  n: number;
  k: number;
}

function less(keys: Float64Array, k: number, a: number, b: number): boolean {
  const ra = a * k;
  const rb = b * k;
  for (let j = 0; j < k; j++) {
    const x = keys[ra + j]!;
    const y = keys[rb + j]!;
    if (x < y) return true;
    if (x > y) return false;
  }
  return a < b;
}

const run = 16;

/** Indices of the pods in eviction order (the TypeScript kernel). */
export function rankByKeysTs({ keys, n, k }: RankKeys): Int32Array {
  let src = new Int32Array(n);
  let dst = new Int32Array(n);
  for (let i = 0; i < n; i++) src[i] = i;
  for (let lo = 0; lo < n; lo += run) {
    const hi = Math.min(lo + run, n);
    for (let i = lo + 1; i < hi; i++) {
      const v = src[i]!;
      let j = i - 1;
      while (j >= lo && less(keys, k, v, src[j]!)) {
        src[j + 1] = src[j]!;
        j--;
      }
      src[j + 1] = v;
    }
  }
  for (let width = run; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n);
      const hi = Math.min(lo + 2 * width, n);
      let i = lo;
      let j = mid;
      let o = lo;
      while (i < mid && j < hi) {
        const a = src[i]!;
        const b = src[j]!;
        if (less(keys, k, b, a)) {
          dst[o++] = b;
          j++;
        } else {
          dst[o++] = a;
          i++;
        }
      }
      while (i < mid) dst[o++] = src[i++]!;
      while (j < hi) dst[o++] = src[j++]!;
    }
    const t = src;
    src = dst;
    dst = t;
  }
  return src;
}
