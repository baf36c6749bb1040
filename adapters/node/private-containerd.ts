import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { KiteError } from "../../core/errors/mod.ts";
import { type CriClient, createCriClient } from "../cri/mod.ts";
import { localImages } from "./local-images.ts";

/** A containerd of kite's own: own root, state, socket, CNI config and network namespace. */
export interface PrivateContainerd {
  dir: string;
  socketPath: string;
  endpoint: string;
  netns: string;
  /** PID of containerd. */
  pid: number;
  /** Pod subnet of the CNI bridge inside the namespace. */
  podSubnet: string;
  /** Stops containerd (SIGTERM, then SIGKILL) without touching pods: shims keep running. */
  stopDaemon(): Promise<void>;
  /** Starts containerd again on the same directories (after stopDaemon). */
  restartDaemon(): Promise<void>;
  /** Removes every pod, stops containerd and its shims, deletes the namespace and (unless keepDir) the folder. */
  destroy(options?: { keepDir?: boolean }): Promise<void>;
}

export interface PrivateContainerdOptions {
  /** Folder for root, state, socket, config and logs (created). Keep it short: unix socket paths are ≤ 107 bytes. */
  dir: string;
  /** Network namespace name to create (must not exist). */
  netns: string;
  /** Pod subnet for the bridge; 10.88.0.0/16 by default. */
  podSubnet?: string;
  log?: (line: string) => void;
}

/** What is missing for a private containerd on this machine (empty when everything is there). */
export function missingPrerequisites(): string[] {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push("root");
  for (const bin of ["containerd", "ctr", "runc", "containerd-shim-runc-v2", "ip", "nsenter"]) {
    if (!which(bin)) missing.push(bin);
  }
  if (!existsSync("/usr/lib/cni/bridge")) missing.push("CNI plugins (/usr/lib/cni)");
  if (!existsSync("/bin/busybox") && !existsSync("/usr/bin/busybox")) missing.push("busybox-static");
  return missing;
}

export function which(bin: string): string | undefined {
  for (const dir of (process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
    const p = join(dir, bin);
    if (existsSync(p)) return p;
  }
  for (const dir of ["/usr/sbin", "/sbin"]) {
    const p = join(dir, bin);
    if (existsSync(p)) return p;
  }
  return undefined;
}

function configToml(dir: string): string {
  return `version = 2
root = "${dir}/root"
state = "${dir}/state"
oom_score = -999

[grpc]
  address = "${dir}/containerd.sock"

[ttrpc]
  address = "${dir}/containerd.sock.ttrpc"

[metrics]
  address = ""

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${localImages.pause}"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  # Without CAP_SYS_RESOURCE (containers, some VMs) negative oom_score_adj values are refused; clamp them.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "${dir}/net.d"
    max_conf_num = 1
`;
}

function cniConfig(dir: string, subnet: string): string {
  return JSON.stringify(
    {
      cniVersion: "0.4.0",
      name: "kite",
      plugins: [
        {
          type: "bridge",
          bridge: "kite0",
          isGateway: true,
          ipMasq: false,
          hairpinMode: true,
          ipam: {
            type: "host-local",
            ranges: [[{ subnet }]],
            routes: [{ dst: "0.0.0.0/0" }],
            dataDir: `${dir}/cni-ipam`,
          },
        },
        { type: "portmap", capabilities: { portMappings: true } },
      ],
    },
    null,
    2,
  );
}

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

async function waitReady(cri: CriClient, child: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  let last: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      const tail = readFileSync(logFile, "utf8").split("\n").slice(-15).join("\n");
      throw new KiteError("internal", `containerd exited with ${child.exitCode}:\n${tail}`);
    }
    try {
      await cri.checkVersion();
      return;
    } catch (e) {
      last = e;
    }
    await sleep(100);
  }
  throw new KiteError(
    "deadline_exceeded",
    `containerd did not answer within 30s: ${(last as Error)?.message}`,
  );
}

/** PIDs of containerd shims serving this containerd (found by the -address argument naming our socket). */
export function shimPids(socketPath: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      if (argv[0]?.endsWith("containerd-shim-runc-v2") && argv.includes(socketPath)) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function killPid(pid: number, graceMs: number): Promise<void> {
  if (!alive(pid)) return;
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return;
  }
  const until = Date.now() + graceMs;
  while (Date.now() < until && alive(pid)) await sleep(50);
  if (alive(pid)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {}
    while (alive(pid)) await sleep(20);
  }
}

const controllers = [
  "pids",
  "memory",
  "cpu",
  "cpuacct",
  "cpuset",
  "blkio",
  "devices",
  "freezer",
  "systemd",
  "unified",
  "hugetlb",
  "net_cls",
  "perf_event",
];

/**
 * Kills every process left in a cgroup tree (containers whose shim is gone) and removes its folders bottom-up.
 * Only for a tree kite created itself (its --cgroup-root).
 */
export function removeCgroupTree(cgroupRoot: string): void {
  if (!cgroupRoot || cgroupRoot === "/") return;
  const pids = new Set<number>();
  const walk = (dir: string) => {
    let entries: import("node:fs").Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    try {
      for (const p of readFileSync(join(dir, "cgroup.procs"), "utf8").split("\n")) if (p) pids.add(Number(p));
    } catch {}
    for (const e of entries) if (e.isDirectory()) walk(join(dir, e.name));
  };
  for (const c of controllers) walk(`/sys/fs/cgroup/${c}${cgroupRoot}`);
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {}
  }
  for (const c of controllers) {
    const base = `/sys/fs/cgroup/${c}${cgroupRoot}`;
    if (!existsSync(base)) continue;
    for (let i = 0; i < 20; i++) {
      try {
        execFileSync("find", [base, "-depth", "-type", "d", "-exec", "rmdir", "{}", ";"], {
          stdio: "ignore",
        });
      } catch {}
      if (!existsSync(base)) break;
      execFileSync("sleep", ["0.1"]);
    }
  }
}

/** Unmounts whatever is still mounted below `dir` (rootfs and shm mounts of killed containers). */
export function unmountUnder(dir: string): void {
  const mounts = readFileSync("/proc/self/mounts", "utf8")
    .split("\n")
    .map((l) => l.split(" ")[1]?.replace(/\\040/g, " "))
    .filter((m): m is string => !!m && (m === dir || m.startsWith(`${dir}/`)))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) {
    try {
      execFileSync("umount", ["-l", m], { stdio: "ignore" });
    } catch {}
  }
}

/** Removes every pod sandbox (and so its containers) through the CRI. */
export async function removeAllPods(cri: CriClient): Promise<void> {
  const { items } = await cri.runtime.listPodSandbox({});
  await Promise.all(
    items.map(async (s) => {
      await cri.runtime.stopPodSandbox({ podSandboxId: s.id }).catch(() => {});
      await cri.runtime.removePodSandbox({ podSandboxId: s.id }).catch(() => {});
    }),
  );
}

/** Starts containerd with its own folders inside a new network namespace (host network untouched). */
export async function startPrivateContainerd(options: PrivateContainerdOptions): Promise<PrivateContainerd> {
  const dir = options.dir;
  const subnet = options.podSubnet ?? "10.88.0.0/16";
  const log = options.log ?? (() => {});
  const socketPath = join(dir, "containerd.sock");
  if (socketPath.length > 100) {
    throw new KiteError("invalid_argument", `folder path too long for a unix socket: ${dir}`, {
      field: "dir",
    });
  }
  for (const d of ["root", "state", "net.d", "cni-ipam"]) mkdirSync(join(dir, d), { recursive: true });
  writeFileSync(join(dir, "config.toml"), configToml(dir));
  writeFileSync(join(dir, "net.d", "10-kite.conflist"), cniConfig(dir, subnet));
  execFileSync("ip", ["netns", "add", options.netns]);
  execFileSync("ip", ["netns", "exec", options.netns, "ip", "link", "set", "lo", "up"]);
  const logFile = join(dir, "containerd.log");
  const cri = createCriClient({ socketPath, timeoutMs: 10_000 });
  let child: ChildProcess | undefined;

  const launch = async () => {
    const out = openSync(logFile, "a");
    // nsenter joins only the network namespace; `ip netns exec` would also remount /sys and hide the cgroups.
    child = spawn(
      "nsenter",
      [`--net=/var/run/netns/${options.netns}`, "containerd", "--config", join(dir, "config.toml")],
      {
        stdio: ["ignore", out, out],
        detached: true,
      },
    );
    child.unref();
    await waitReady(cri, child, logFile);
    log(`containerd running (pid ${child.pid}, socket ${socketPath}, netns ${options.netns})`);
  };

  const stopDaemon = async () => {
    if (child?.pid) await killPid(child.pid, 10_000);
  };

  const handle: PrivateContainerd = {
    dir,
    socketPath,
    endpoint: `unix://${socketPath}`,
    netns: options.netns,
    podSubnet: subnet,
    get pid() {
      return child?.pid ?? 0;
    },
    stopDaemon,
    restartDaemon: launch,
    async destroy(opts = {}) {
      if (child?.pid && alive(child.pid)) await removeAllPods(cri).catch(() => {});
      await stopDaemon();
      for (const pid of shimPids(socketPath)) await killPid(pid, 2_000);
      unmountUnder(dir);
      try {
        execFileSync("ip", ["netns", "del", options.netns], { stdio: "ignore" });
      } catch {}
      if (!opts.keepDir) rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await launch();
  } catch (e) {
    await handle.destroy({ keepDir: true });
    throw e;
  }
  return handle;
}
