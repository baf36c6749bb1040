/** placeholder tracer */
import type { NftState } from "../nft-state.ts";
// biome-ignore lint/suspicious/noExplicitAny: fixture JSON
export function traceNft(_k: NftState, _local: string[], _f: any): { output: string; masq: boolean } {
  return { output: "?", masq: false };
}
