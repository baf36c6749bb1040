/**
 * Applies nft scripts with `nft -f -`: each script is one transaction, or for a large full sync two
 * (declarations, then the rest; see nft-transactions.ts). The cleanup transaction goes first.
 */
import type { SyncResult } from "../../core/proxy/types.ts";
import type { Applier } from "./applier.ts";
import { ApplyError } from "./apply-error.ts";
import type { Runner } from "./exec.ts";
import { type NftSession, startNftSession } from "./nft-session.ts";
import { nftTransactions } from "./nft-transactions.ts";

export const nftTable = { family: "ip", name: "kube-proxy" };

export function createNftablesApplier(
  runner: Runner,
  options: {
    binary?: string;
    family?: "ip" | "ip6";
    /** Keep one `nft -i` process (see nft-session.ts); falls back to `nft -f` if it fails. */
    persistent?: boolean;
    /** Split large scripts at this many `vmap {` literals (nft-transactions.ts; tests use 0 or 1). */
    splitAtVmapLiterals?: number;
    /** Called when the separate stale-chain cleanup transaction fails (it is best-effort). */
    onCleanupError?: (message: string) => void;
  } = {},
): Applier & {
  run(script: string): Promise<void>;
  close(): void;
} {
  const nft = options.binary ?? "nft";
  const family = options.family ?? nftTable.family;
  const prefix = runner.netns ? ["ip", "netns", "exec", runner.netns] : [];
  let session: NftSession | undefined = options.persistent ? startNftSession(prefix, nft) : undefined;
  const runOne = async (tx: string) => {
    if (session) {
      try {
        const err = await session.apply(tx);
        if (err) throw new ApplyError("nft -f", err, tx);
        return;
      } catch (e) {
        if (e instanceof ApplyError) throw e;
        // The interactive process failed (not the transaction): fall back to one-shot nft -f.
        session.close();
        session = undefined;
      }
    }
    const r = await runner.run([nft, "-f", "-"], tx);
    if (r.code !== 0) throw new ApplyError("nft -f", r.stderr, tx);
  };
  const run = async (script: string) => {
    for (const tx of nftTransactions(script, { splitAtVmapLiterals: options.splitAtVmapLiterals }))
      await runOne(tx);
  };
  return {
    mode: "nftables",
    run,
    close() {
      session?.close();
      session = undefined;
    },
    async apply(result: SyncResult) {
      if (result.cleanupText) {
        try {
          await run(result.cleanupText);
        } catch (e) {
          // Deleting aged stale chains is best-effort (upstream counts nftables_cleanup_failures_total).
          options.onCleanupError?.((e as Error).message);
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
