/** helper.BuildBrokenLinearFunction over a shape of (utilization, score) points. */
export interface ShapePoint {
  utilization: number;
  score: number;
}

export function buildBrokenLinearFunction(shape: readonly ShapePoint[]): (p: number) => number {
  return (p) => {
    for (let i = 0; i < shape.length; i++) {
      const cur = shape[i]!;
      if (p <= cur.utilization) {
        if (i === 0) return cur.score;
        const prev = shape[i - 1]!;
        return (
          prev.score +
          Math.trunc(
            ((cur.score - prev.score) * (p - prev.utilization)) / (cur.utilization - prev.utilization),
          )
        );
      }
    }
    return shape[shape.length - 1]?.score ?? 0;
  };
}
