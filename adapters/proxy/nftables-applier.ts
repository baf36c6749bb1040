/** Applies nft scripts with `nft -f -` (one transaction each); the cleanup transaction goes first. */
import type { SyncResult } from "../../core/proxy/types.ts";
import type { Applier } from "./applier.ts";
import { ApplyError } from "./apply-error.ts";
import type { Runner } from "./exec.ts";
import { type NftSession, startNftSession } from "./nft-session.ts";

export const nftTable = { family: "ip", name: "kube-proxy" };

/**
 * `nft -f` resolves a `goto`/`jump` at the point it reads it, so a chain must be added earlier in the
 * script than any element or rule naming it. This moves `add table` and `add chain` lines (both
 * idempotent) to the front, keeping everything else in order; chains the script also deletes stay put.
 */
export function hoistDeclarations(script: string): string {
  const lines = script.split("\n");
  const deleted = new Set<string>();
  for (const l of lines) {
    const m = /^delete chain (\S+ \S+ \S+)/.exec(l);
    if (m) deleted.add(m[1]!);
  }
  const tables: string[] = [];
  const chains: string[] = [];
  const rest: string[] = [];
  for (const l of lines) {
    if (/^add table /.test(l)) tables.push(l);
    else if (/^add chain /.test(l) && !deleted.has(/^add chain (\S+ \S+ \S+)/.exec(l)?.[1] ?? ""))
      chains.push(l);
    else rest.push(l);
  }
  return [...tables, ...chains, ...rest].join("\n");
}

export function createNftablesApplier(
  runner: Runner,
  options: {
    binary?: string;
    family?: "ip" | "ip6";
    /** Keep one `nft -i` process (see nft-session.ts); falls back to `nft -f` if it fails. */
    persistent?: boolean;
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
  const run = async (script: string) => {
    if (script.trim() === "") return;
    const ordered = hoistDeclarations(script);
    if (session) {
      try {
        const err = await session.apply(ordered);
        if (err) throw new ApplyError("nft -f", err, ordered);
        return;
      } catch (e) {
        if (e instanceof ApplyError) throw e;
        // The interactive process failed (not the transaction): fall back to one-shot nft -f.
        session.close();
        session = undefined;
      }
    }
    const r = await runner.run([nft, "-f", "-"], ordered);
    if (r.code !== 0) throw new ApplyError("nft -f", r.stderr, ordered);
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
