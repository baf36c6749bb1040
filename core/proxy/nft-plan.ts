/** placeholder until the nftables proxier lands */
import { KiteError } from "../errors/mod.ts";
import type { PlanResult } from "./render.ts";
import type { ProxierConfig } from "./types.ts";
export function planNftables(_c: ProxierConfig, _desired: string, _current: string): PlanResult {
  throw new KiteError("unimplemented", "nftables plan is not built yet");
}
