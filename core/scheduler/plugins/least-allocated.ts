/** LeastAllocated scoring strategy: favours nodes with more free capacity, (alloc - req) * 100 / alloc per resource. */
import { strategyLeastAllocated } from "../resource-score-kernel.ts";

export const leastAllocated = { type: "LeastAllocated", kernelStrategy: strategyLeastAllocated } as const;
