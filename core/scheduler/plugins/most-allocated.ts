/** MostAllocated scoring strategy: favours fuller nodes (bin packing), min(req, alloc) * 100 / alloc per resource. */
import { strategyMostAllocated } from "../resource-score-kernel.ts";

export const mostAllocated = { type: "MostAllocated", kernelStrategy: strategyMostAllocated } as const;
