/**
 * A long-lived `nft -i` process for applying nftables transactions. A one-shot `nft -f` loads the
 * whole ruleset into its cache before it can add a rule, which costs O(table size) per sync (≈80 ms at
 * 1k services × 10 endpoints, ~10× that at 10k); the interactive process keeps its cache between
 * transactions and only refreshes what changed. Each transaction is written to a private file and run
 * with `include`, which nft applies atomically (all or nothing), exactly like `nft -f`.
 * Completion is detected with a marker command that always fails (`list set ... <marker>`).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface NftSession {
  /** Applies one transaction; resolves to nft's error text, or "" on success. */
  apply(script: string): Promise<string>;
  close(): void;
}

export function startNftSession(argvPrefix: string[], nft = "nft", timeoutMs = 30 * 60_000): NftSession {
  const dir = mkdtempSync(join(tmpdir(), "kite-nft-"));
  let child: ChildProcess | undefined;
  let stderr = "";
  let waiter: (() => void) | undefined;
  let seq = 0;
  let queue: Promise<unknown> = Promise.resolve();

  const ensure = (): ChildProcess => {
    if (child && child.exitCode === null && !child.killed) return child;
    const [cmd, ...args] = [...argvPrefix, nft, "-i"];
    const c = spawn(cmd!, args, { stdio: ["pipe", "ignore", "pipe"] });
    c.stderr!.on("data", (b: Buffer) => {
      stderr += b.toString();
      waiter?.();
    });
    c.on("exit", () => waiter?.());
    c.on("error", () => waiter?.());
    c.stdin!.on("error", () => {});
    child = c;
    return c;
  };

  const run = async (script: string): Promise<string> => {
    const c = ensure();
    const file = join(dir, `tx-${++seq}.nft`);
    writeFileSync(file, script, { mode: 0o600 });
    const marker = `kite-done-${process.pid}-${seq}`;
    stderr = "";
    c.stdin!.write(`include "${file}"\nlist set ip kite-marker ${marker}\n`);
    const deadline = Date.now() + timeoutMs;
    try {
      while (!stderr.includes(marker)) {
        if (c.exitCode !== null || Date.now() > deadline) {
          c.kill("SIGKILL");
          child = undefined;
          throw new Error(`nft -i ${c.exitCode !== null ? "exited" : "timed out"}: ${stderr.trim()}`);
        }
        await new Promise<void>((resolve) => {
          waiter = resolve;
          setTimeout(resolve, 50);
        });
      }
    } finally {
      waiter = undefined;
      rmSync(file, { force: true });
    }
    // The marker command's own error is the last "Error:" block before the marker.
    const at = stderr.indexOf(marker);
    const cut = stderr.lastIndexOf("Error:", at);
    const before = cut >= 0 ? stderr.slice(0, cut) : "";
    return /Error/.test(before) ? before.replaceAll(file, "/dev/stdin").trim() : "";
  };

  return {
    apply(script) {
      const p = queue.then(() => run(script));
      queue = p.catch(() => {});
      return p;
    },
    close() {
      child?.kill();
      child = undefined;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
