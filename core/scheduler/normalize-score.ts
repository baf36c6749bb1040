/** helper.DefaultNormalizeScore: scale scores to [0, maxPriority] by the max score, optionally reversed. */
export function defaultNormalizeScore(maxPriority: number, reverse: boolean, scores: number[]): void {
  let max = 0;
  for (const s of scores) if (s > max) max = s;
  if (max === 0) {
    if (reverse) scores.fill(maxPriority);
    return;
  }
  for (let i = 0; i < scores.length; i++) {
    let s = Math.trunc((maxPriority * scores[i]!) / max);
    if (reverse) s = maxPriority - s;
    scores[i] = s;
  }
}
