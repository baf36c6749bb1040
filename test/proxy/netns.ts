/**
 * Network-namespace playground for the proxy e2e tests and benchmark.
 *
 *   client (192.168.77.2) ──veth── node (192.168.77.1, bridge kbr0 10.244.0.1/24) ──veth── pod-i (10.244.0.10+i)
 *
 * Everything is created inside namespaces this process makes (`kite-<tag>-<pid>-*`); the machine's own
 * namespace is never configured: veth pairs are created with both ends placed in our namespaces, and
 * every iptables/nft/conntrack command runs through `ip netns exec`.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { runCommand } from "../../adapters/proxy/exec.ts";

const here = dirname(fileURLToPath(import.meta.url));

export const nodeIP = "192.168.77.1";
export const clientIP = "192.168.77.2";
export const podGateway = "10.244.0.1";
export const podCIDR = "10.244.0.0/16";

/** Why namespace tests cannot run here, or undefined when they can. */
export function netnsUnavailable(extraBinaries: string[] = []): string | undefined {
  if (process.platform !== "linux") return "network namespaces need Linux";
  if (typeof process.getuid === "function" && process.getuid() !== 0) {
    return "network-namespace tests need root (ip netns add)";
  }
  for (const bin of ["ip", "iptables-restore", "iptables-save", "nft", "conntrack", ...extraBinaries]) {
    const r = spawnSync("sh", ["-c", `command -v ${bin}`], { encoding: "utf8" });
    if (r.status !== 0) return `binary ${bin} not found`;
  }
  const probe = `kite-probe-${process.pid}`;
  const add = spawnSync("ip", ["netns", "add", probe], { encoding: "utf8" });
  if (add.status !== 0) return `cannot create a network namespace: ${add.stderr.trim()}`;
  spawnSync("ip", ["netns", "del", probe]);
  return undefined;
}

export interface Pod {
  name: string;
  ns: string;
  ip: string;
}

export interface Topology {
  node: string;
  client: string;
  pods: Pod[];
  /** Runs argv inside namespace `ns` and throws on failure. */
  exec(ns: string, argv: string[], stdin?: string): Promise<string>;
  /** Starts the echo server in every pod (TCP and UDP on the given ports). */
  startEcho(tcpPorts: number[], udpPorts: number[]): Promise<void>;
  /** `count` sequential requests from the client namespace; each answer is a pod name or refused/timeout/... */
  request(opts: {
    proto: "tcp" | "udp";
    host: string;
    port: number;
    count: number;
    timeoutMs?: number;
    localPort?: number;
  }): Promise<string[]>;
  destroy(): Promise<void>;
}

async function must(argv: string[], stdin?: string): Promise<string> {
  const r = await runCommand(argv, stdin);
  if (r.code !== 0) throw new Error(`${argv.join(" ")} failed: ${r.stderr.trim()}`);
  return r.stdout;
}

/** Creates node, client and `podCount` pod namespaces. Call destroy() in afterAll. */
export async function createTopology(tag: string, podCount: number): Promise<Topology> {
  const prefix = `kite-${tag}-${process.pid}`;
  const node = `${prefix}-node`;
  const client = `${prefix}-client`;
  const pods: Pod[] = Array.from({ length: podCount }, (_, i) => ({
    name: `pod-${String.fromCharCode(97 + i)}`,
    ns: `${prefix}-p${i}`,
    ip: `10.244.0.${10 + i}`,
  }));
  const created: string[] = [];
  const children: ChildProcess[] = [];
  const nsExec = (ns: string, argv: string[], stdin?: string) =>
    must(["ip", "netns", "exec", ns, ...argv], stdin);

  const destroy = async () => {
    for (const c of children) {
      if (c.pid !== undefined && c.exitCode === null) {
        try {
          process.kill(c.pid, "SIGKILL");
        } catch {}
      }
    }
    for (const ns of created.reverse()) await runCommand(["ip", "netns", "del", ns]);
  };

  try {
    for (const ns of [node, client, ...pods.map((p) => p.ns)]) {
      await must(["ip", "netns", "add", ns]);
      created.push(ns);
      await must(["ip", "-n", ns, "link", "set", "lo", "up"]);
    }
    await nsExec(node, ["sysctl", "-qw", "net.ipv4.ip_forward=1"]);
    await must(["ip", "-n", node, "link", "add", "kbr0", "type", "bridge"]);
    await must(["ip", "-n", node, "addr", "add", `${podGateway}/24`, "dev", "kbr0"]);
    await must(["ip", "-n", node, "link", "set", "kbr0", "up"]);
    // client <-> node
    await must([
      "ip",
      "-n",
      node,
      "link",
      "add",
      "vclient",
      "type",
      "veth",
      "peer",
      "name",
      "eth0",
      "netns",
      client,
    ]);
    await must(["ip", "-n", node, "addr", "add", `${nodeIP}/24`, "dev", "vclient"]);
    await must(["ip", "-n", node, "link", "set", "vclient", "up"]);
    // A default route out of an uplink (a veth pair with both ends in the node namespace), as a real
    // node has one: traffic to a ClusterIP without endpoints must be forwarded (and REJECTed), not
    // refused as unroutable. No ICMP redirects: they would use up the ICMP rate limit before REJECT's.
    await must(["ip", "-n", node, "link", "add", "uplink0", "type", "veth", "peer", "name", "uplink1"]);
    await must(["ip", "-n", node, "link", "set", "uplink0", "up"]);
    await must(["ip", "-n", node, "link", "set", "uplink1", "up"]);
    await must(["ip", "-n", node, "route", "add", "default", "dev", "uplink0"]);
    await nsExec(node, ["sysctl", "-qw", "net.ipv4.conf.all.send_redirects=0"]);
    await must(["ip", "-n", client, "addr", "add", `${clientIP}/24`, "dev", "eth0"]);
    await must(["ip", "-n", client, "link", "set", "eth0", "up"]);
    await must(["ip", "-n", client, "route", "add", "default", "via", nodeIP]);
    // pods on the bridge
    for (const [i, pod] of pods.entries()) {
      const hostSide = `vp${i}`;
      await must([
        "ip",
        "-n",
        node,
        "link",
        "add",
        hostSide,
        "type",
        "veth",
        "peer",
        "name",
        "eth0",
        "netns",
        pod.ns,
      ]);
      await must(["ip", "-n", node, "link", "set", hostSide, "master", "kbr0", "up"]);
      await must(["ip", "-n", pod.ns, "addr", "add", `${pod.ip}/24`, "dev", "eth0"]);
      await must(["ip", "-n", pod.ns, "link", "set", "eth0", "up"]);
      await must(["ip", "-n", pod.ns, "route", "add", "default", "via", podGateway]);
    }
  } catch (e) {
    await destroy();
    throw e;
  }

  const startEcho = async (tcpPorts: number[], udpPorts: number[]) => {
    await Promise.all(
      pods.map(
        (pod) =>
          new Promise<void>((resolve, reject) => {
            const child = spawn(
              "ip",
              [
                "netns",
                "exec",
                pod.ns,
                process.execPath,
                join(here, "echo-server.mjs"),
                pod.name,
                tcpPorts.join(","),
                udpPorts.join(","),
              ],
              { stdio: ["ignore", "pipe", "pipe"] },
            );
            children.push(child);
            let out = "";
            const timer = setTimeout(
              () => reject(new Error(`echo server in ${pod.name} did not start`)),
              15_000,
            );
            child.stdout!.on("data", (b: Buffer) => {
              out += b.toString();
              if (out.includes("ready")) {
                clearTimeout(timer);
                resolve();
              }
            });
            child.on("exit", (code) => {
              clearTimeout(timer);
              reject(new Error(`echo server in ${pod.name} exited (${code})`));
            });
          }),
      ),
    );
  };

  const request: Topology["request"] = async (opts) => {
    const out = await nsExec(client, [
      process.execPath,
      join(here, "echo-client.mjs"),
      JSON.stringify({ timeoutMs: 1000, ...opts }),
    ]);
    return JSON.parse(out) as string[];
  };

  return { node, client, pods, exec: nsExec, startEcho, request, destroy };
}
