/** What the proxy reads about its own network namespace: interface addresses and a few sysctls. */
import type { Runner } from "./exec.ts";

/** Interface → addresses in CIDR form (`ip -j addr show`). */
export async function readInterfaces(runner: Runner): Promise<Record<string, string[]>> {
  const r = await runner.run(["ip", "-j", "addr", "show"]);
  if (r.code !== 0) return {};
  const out: Record<string, string[]> = {};
  try {
    const links = JSON.parse(r.stdout) as {
      ifname: string;
      addr_info?: { local: string; prefixlen: number }[];
    }[];
    for (const l of links) out[l.ifname] = (l.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`);
  } catch {
    return {};
  }
  return out;
}

/** A sysctl's value in the runner's namespace, or undefined. */
export async function readSysctl(runner: Runner, name: string): Promise<string | undefined> {
  const r = await runner.run(["sysctl", "-n", name]);
  return r.code === 0 ? r.stdout.trim() : undefined;
}

/** The first global IPv4 address of a non-loopback interface (node IP fallback). */
export function firstGlobalIPv4(interfaces: Record<string, string[]>): string | undefined {
  for (const [name, addrs] of Object.entries(interfaces)) {
    if (name === "lo" || name === "kube-ipvs0") continue;
    for (const a of addrs) {
      const ip = a.split("/")[0]!;
      if (/^\d+\.\d+\.\d+\.\d+$/.test(ip) && !ip.startsWith("127.") && !ip.startsWith("169.254.")) return ip;
    }
  }
  return undefined;
}
