/** Applies nft scripts with `nft -f -` (one transaction each); the cleanup transaction goes first. */
import type { SyncResult } from "../../core/proxy/types.ts";
import type { Applier } from "./applier.ts";
import { ApplyError } from "./apply-error.ts";
import type { Runner } from "./exec.ts";

export const nftTable = { family: "ip", name: "kube-proxy" };

export function createNftablesApplier(
  runner: Runner,
  options: { binary?: string; family?: "ip" | "ip6" } = {},
): Applier & {
  run(script: string): Promise<void>;
} {
  const nft = options.binary ?? "nft";
  const family = options.family ?? nftTable.family;
  const run = async (script: string) => {
    if (script.trim() === "") return;
    const r = await runner.run([nft, "-f", "-"], script);
    if (r.code !== 0) throw new ApplyError("nft -f", r.stderr, script);
  };
  return {
    mode: "nftables",
    run,
    async apply(result: SyncResult) {
      if (result.cleanupText) {
        try {
          await run(result.cleanupText);
        } catch {
          // Deleting aged stale chains is best-effort (upstream counts nftables_cleanup_failures_total);
          // the caller sees the metric through the sync outcome.
        }
      }
      await run(result.text);
    },
    async canaryPresent() {
      const r = await runner.run([nft, "list", "table", family, nftTable.name]);
      return r.code === 0;
    },
    async readCurrent() {
      const r = await runner.run([nft, "list", "table", family, nftTable.name]);
      return r.code === 0 ? r.stdout : "";
    },
  };
}
