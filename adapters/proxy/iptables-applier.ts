/** Applies iptables-restore input with `iptables-restore -w --noflush --counters`. */
import type { SyncResult } from "../../core/proxy/types.ts";
import type { Applier } from "./applier.ts";
import { ApplyError } from "./apply-error.ts";
import { checkResult, type Runner } from "./exec.ts";

/** The iptables binaries of a backend: the system default (`iptables`), or explicitly `nft` / `legacy`. */
export function iptablesBinaries(backend: "auto" | "nft" | "legacy" = "auto"): {
  iptables: string;
  restore: string;
  save: string;
} {
  const suffix = backend === "auto" ? "" : `-${backend}`;
  return {
    iptables: `iptables${suffix}`,
    restore: `iptables${suffix}-restore`,
    save: `iptables${suffix}-save`,
  };
}

export interface IptablesApplierOptions {
  /** `-w` seconds to wait for the xtables lock (default 5). */
  lockWaitSeconds?: number;
  /** iptables binaries (default iptables, iptables-restore, iptables-save). */
  binaries?: { iptables?: string; restore?: string; save?: string };
}

export const canaryChain = "KUBE-PROXY-CANARY";

export const canaryTables = ["mangle", "nat", "filter"];

export function createIptablesApplier(
  runner: Runner,
  options: IptablesApplierOptions = {},
): Applier & {
  restore(text: string): Promise<void>;
  savedChains(table: string): Promise<string[]>;
} {
  const wait = String(options.lockWaitSeconds ?? 5);
  const bin = {
    iptables: "iptables",
    restore: "iptables-restore",
    save: "iptables-save",
    ...options.binaries,
  };
  const restore = async (text: string) => {
    if (text.trim() === "") return;
    const r = await runner.run([bin.restore, "-w", wait, "--noflush", "--counters"], text);
    if (r.code !== 0) throw new ApplyError(bin.restore, r.stderr, text);
  };
  return {
    mode: "iptables",
    restore,
    async apply(result: SyncResult) {
      if (result.mode === "ipvs" && result.ipvs) {
        await restore(result.ipvs.iptablesRestore);
        return;
      }
      await restore(result.text);
    },
    async canaryPresent() {
      for (const table of canaryTables) {
        const r = await runner.run([bin.iptables, "-w", wait, "-t", table, "-S", canaryChain, "1"]);
        if (r.code !== 0) return false;
      }
      return true;
    },
    async readCurrent() {
      const argv = [bin.save];
      return checkResult(argv, await runner.run(argv)).stdout;
    },
    async savedChains(table: string) {
      const argv = [bin.save, "-t", table];
      const out = checkResult(argv, await runner.run(argv)).stdout;
      const chains: string[] = [];
      for (const line of out.split("\n")) {
        if (line.startsWith(":")) chains.push(line.slice(1).split(" ")[0]!);
      }
      return chains;
    },
  };
}
