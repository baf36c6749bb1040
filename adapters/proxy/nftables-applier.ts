/**
 * Applies nft scripts with `nft -f -`: each script is one transaction, or for a large full sync two
 * (declarations, then the rest; see nft-transactions.ts). The stale-chain cleanup transaction runs
 * after the change, in the background.
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
  /** Resolves once the background stale-chain cleanup of the last sync is done. */
  settled(): Promise<void>;
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
  let cleanupDone: Promise<void> = Promise.resolve();
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
      // One transaction at a time: a cleanup still running from the previous sync goes first.
      await cleanupDone;
      await run(result.text);
      // The change is in the kernel. Deleting aged stale chains is housekeeping: the core never puts
      // a chain in use into it, so it runs after the change, off the change's path, and is
      // best-effort (upstream counts nftables_cleanup_failures_total).
      if (result.cleanupText) {
        const text = result.cleanupText;
        cleanupDone = run(text).catch((e: unknown) => options.onCleanupError?.((e as Error).message));
      }
    },
    settled() {
      return cleanupDone;
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
