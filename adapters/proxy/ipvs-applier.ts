/**
 * IPVS mode: `ipset restore -exist`, then the ipvsadm / ip commands one by one, then the few
 * iptables rules through iptables-restore. Also the probe that decides whether IPVS is usable.
 */
import { type IpvsState, parseIpvsadmList } from "../../core/proxy/mod.ts";
import type { SyncResult } from "../../core/proxy/types.ts";
import type { Applier } from "./applier.ts";
import { ApplyError } from "./apply-error.ts";
import type { Runner } from "./exec.ts";
import { createIptablesApplier } from "./iptables-applier.ts";

/** Why IPVS cannot be used in the runner's namespace, or undefined when it can. */
export async function ipvsUnavailable(runner: Runner): Promise<string | undefined> {
  for (const bin of ["ipvsadm", "ipset"]) {
    try {
      const r = await runner.run([bin, "--version"]);
      if (r.code !== 0 && bin === "ipset") return `${bin} --version failed: ${r.stderr.trim()}`;
    } catch {
      return `${bin} not found`;
    }
  }
  const r = await runner.run(["ipvsadm", "-Ln"]);
  if (r.code !== 0) return `the kernel has no IPVS (ip_vs): ${r.stderr.trim().split("\n")[0]}`;
  return undefined;
}

/** Splits one command line of the core's IPVS output into argv (no shell; double quotes group). */
export function splitCommand(line: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) out.push(m[1] ?? m[2]!);
  return out;
}

const allowed = new Set(["ipvsadm", "ip", "ipset", "sysctl"]);

export function createIpvsApplier(runner: Runner): Applier & {
  /** Virtual and real servers with their connection counts (`ipvsadm -L -n`). */
  connections(): Promise<Pick<IpvsState, "virtualServers" | "realServers">>;
} {
  const ipt = createIptablesApplier(runner);
  return {
    mode: "ipvs",
    async connections() {
      const r = await runner.run(["ipvsadm", "-L", "-n"]);
      if (r.code !== 0) throw new ApplyError("ipvsadm -L -n", r.stderr, "");
      return parseIpvsadmList(r.stdout);
    },
    async apply(result: SyncResult) {
      const parts = result.ipvs ?? {
        commands: result.text.split("\n"),
        ipsetRestore: "",
        iptablesRestore: "",
      };
      if (parts.ipsetRestore.trim()) {
        const r = await runner.run(["ipset", "restore", "-exist"], parts.ipsetRestore);
        if (r.code !== 0) throw new ApplyError("ipset restore", r.stderr, parts.ipsetRestore);
      }
      for (const line of parts.commands) {
        const argv = splitCommand(line);
        if (argv.length === 0 || argv[0]!.startsWith("#")) continue;
        if (!allowed.has(argv[0]!)) throw new ApplyError("ipvs", `refusing to run ${argv[0]}`, line);
        const r = await runner.run(argv);
        if (r.code !== 0) throw new ApplyError(argv.slice(0, 2).join(" "), r.stderr, line);
      }
      await ipt.restore(parts.iptablesRestore);
    },
    canaryPresent: () => ipt.canaryPresent(),
    async readCurrent() {
      const [vs, sets, addrs, rules] = await Promise.all([
        runner.run(["ipvsadm", "-Sn"]),
        runner.run(["ipset", "save"]),
        runner.run(["ip", "-o", "addr", "show", "dev", "kube-ipvs0"]),
        runner.run(["iptables-save"]),
      ]);
      return [
        "# ipvsadm -Sn",
        vs.stdout,
        "# ipset save",
        sets.stdout,
        "# ip addr show dev kube-ipvs0",
        addrs.stdout,
        "# iptables-save",
        rules.stdout,
      ].join("\n");
    },
  };
}
