/**
 * Clears stale UDP (and SCTP) conntrack entries after a sync, with conntrack(8), so that clients
 * do not keep sending to an endpoint that went away or to a service that had no endpoints.
 * The core decides which entries are stale (SyncResult.conntrack); this only runs the deletions.
 */
import type { ConntrackCleanup } from "../../core/proxy/types.ts";
import type { Runner } from "./exec.ts";

/** The conntrack -D command lines for a cleanup (exported for tests and `plan`). */
export function conntrackCommands(c: ConntrackCleanup): string[][] {
  const cmds: string[][] = [];
  const proto = (p: string) => p.toLowerCase();
  for (const s of c.serviceIPs) cmds.push(["conntrack", "-D", "-p", proto(s.protocol), "--orig-dst", s.ip]);
  for (const e of c.staleEndpoints) {
    // serviceIP "" = a NodePort: any destination address on this node.
    const dst = e.serviceIP ? ["--orig-dst", e.serviceIP] : [];
    cmds.push([
      "conntrack",
      "-D",
      "-p",
      proto(e.protocol),
      ...dst,
      "--orig-port-dst",
      String(e.port),
      "--dst-nat",
      e.endpointIP,
    ]);
  }
  for (const n of c.staleNodePorts) {
    cmds.push(["conntrack", "-D", "-p", proto(n.protocol), "--orig-port-dst", String(n.port)]);
  }
  return cmds;
}

export interface ConntrackOutcome {
  commands: number;
  deleted: number;
  errors: string[];
}

/** Runs the deletions; "0 flow entries" (exit 1) is not an error. */
export async function clearConntrack(runner: Runner, c: ConntrackCleanup): Promise<ConntrackOutcome> {
  const out: ConntrackOutcome = { commands: 0, deleted: 0, errors: [] };
  for (const argv of conntrackCommands(c)) {
    out.commands++;
    const r = await runner.run(argv);
    const m = /(\d+) flow entries have been deleted/.exec(r.stderr + r.stdout);
    if (m) out.deleted += Number(m[1]);
    else if (r.code !== 0) out.errors.push(`${argv.join(" ")}: ${r.stderr.trim()}`);
  }
  return out;
}
