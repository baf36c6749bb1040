/** helper.DefaultNormalizeScore: scale scores to [0, maxPriority] by the max score, optionally reversed. */
export function defaultNormalizeScore(maxPriority: number, reverse: boolean, scores: number[]): void {
  const n = scores.length;
  let max = 0;
  for (let i = 0; i < n; i++) {
    const s = scores[i]!;
    if (s > max) max = s;
  }
  if (max === 0) {
    if (reverse) for (let i = 0; i < n; i++) scores[i] = maxPriority;
    return;
  }
  for (let i = 0; i < n; i++) {
    const s = Math.trunc((maxPriority * scores[i]!) / max);
    scores[i] = reverse ? maxPriority - s : s;
  }
}
