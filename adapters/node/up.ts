import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Pod } from "../../core/api/mod.ts";
import { KiteError } from "../../core/errors/mod.ts";
import { createCriClient } from "../cri/mod.ts";
import { importLocalImages } from "./local-images.ts";
import {
  missingPrerequisites,
  removeAllPods,
  removeCgroupTree,
  shimPids,
  startPrivateContainerd,
  unmountUnder,
} from "./private-containerd.ts";

/** What `kite up` left running (written to <dir>/up.json, read by `kite up --down`). */
export interface UpState {
  dir: string;
  netns: string;
  socketPath: string;
  containerdPid: number;
  nodePid: number;
  cgroupRoot: string;
}

/** Debian packages providing each missing prerequisite. */
const packages: Record<string, string> = {
  containerd: "containerd",
  ctr: "containerd",
  "containerd-shim-runc-v2": "containerd",
  runc: "runc",
  "CNI plugins (/usr/lib/cni)": "containernetworking-plugins",
  "busybox-static": "busybox-static",
  ip: "iproute2",
  nsenter: "util-linux",
};

/** Installs what is missing through apt-get (root only). */
export function installPrerequisites(say: (line: string) => void): void {
  const missing = missingPrerequisites();
  if (missing.includes("root"))
    throw new KiteError("permission_denied", "kite up must run as root (it starts containerd)");
  const pkgs = [...new Set(missing.map((m) => packages[m]).filter((p): p is string => !!p))];
  if (pkgs.length === 0) return;
  say(`installing ${pkgs.join(", ")} with apt-get ...`);
  try {
    execFileSync("apt-get", ["update", "-q"], { stdio: "inherit" });
    execFileSync("apt-get", ["install", "-y", "-q", "--no-install-recommends", ...pkgs], {
      stdio: "inherit",
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
  } catch (e) {
    throw new KiteError(
      "failed_precondition",
      `apt-get install ${pkgs.join(" ")} failed: ${(e as Error).message}`,
    );
  }
  const still = missingPrerequisites();
  if (still.length)
    throw new KiteError("failed_precondition", `still missing after apt-get: ${still.join(", ")}`);
}

/** examples/manifests next to the sources (tsx) or the bundle (dist/kite.mjs). */
export function defaultManifestDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const c of [
    resolve(here, "../../examples/manifests"),
    resolve(here, "../examples/manifests"),
    resolve("examples/manifests"),
  ]) {
    if (existsSync(c)) return c;
  }
  return resolve("examples/manifests");
}

/** The command line that runs this same kite binary (node + loader flags + entry script). */
function selfCommand(): string[] {
  return [process.execPath, ...process.execArgv, process.argv[1]!];
}

export interface UpOptions {
  dir: string;
  manifests: string;
  netns: string;
  say: (line: string) => void;
}

/** Starts containerd (own netns), imports the images, starts `kite node` inside the namespace. */
export async function up(o: UpOptions): Promise<{ state: UpState; node: ChildProcess }> {
  if (existsSync(join(o.dir, "up.json"))) {
    throw new KiteError(
      "already_exists",
      `kite up is already running from ${o.dir} (stop it with: kite up --down)`,
    );
  }
  installPrerequisites(o.say);
  mkdirSync(o.dir, { recursive: true });
  o.say(`starting a private containerd in network namespace ${o.netns} (folder ${o.dir}) ...`);
  const ctd = await startPrivateContainerd({ dir: join(o.dir, "containerd"), netns: o.netns, log: o.say });
  try {
    o.say("building and importing the busybox images ...");
    const images = importLocalImages(ctd.socketPath, o.dir);
    o.say(`imported ${images.join(", ")}`);
    const cgroupRoot = "/kite";
    const logFile = join(o.dir, "node.log");
    const out = openSync(logFile, "a");
    const node = spawn(
      "nsenter",
      [
        `--net=/var/run/netns/${o.netns}`,
        ...selfCommand(),
        "node",
        "--pod-manifest-path",
        o.manifests,
        "--container-runtime-endpoint",
        ctd.endpoint,
        "--root-dir",
        join(o.dir, "kubelet"),
        "--pod-logs-dir",
        join(o.dir, "pods-logs"),
        "--cgroup-root",
        cgroupRoot,
        "--status-file",
        join(o.dir, "status.json"),
        "--file-check-frequency",
        "5s",
      ],
      { stdio: ["ignore", out, out], detached: true },
    );
    node.unref();
    const state: UpState = {
      dir: o.dir,
      netns: o.netns,
      socketPath: ctd.socketPath,
      containerdPid: ctd.pid,
      nodePid: node.pid ?? 0,
      cgroupRoot,
    };
    writeFileSync(join(o.dir, "up.json"), JSON.stringify(state, null, 2));
    o.say(`kite node running (pid ${node.pid}, log ${logFile}) on ${o.manifests}`);
    return { state, node };
  } catch (e) {
    await ctd.destroy({ keepDir: true });
    throw e;
  }
}

function alive(pid: number): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function kill(pid: number, graceMs: number): Promise<void> {
  if (!alive(pid)) return;
  process.kill(pid, "SIGTERM");
  const until = Date.now() + graceMs;
  while (alive(pid) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  if (alive(pid)) process.kill(pid, "SIGKILL");
}

/** Stops and removes everything `kite up` created: node, pods, containerd, shims, namespace, cgroups, folder. */
export async function down(dir: string, say: (line: string) => void): Promise<void> {
  const file = join(dir, "up.json");
  if (!existsSync(file)) throw new KiteError("not_found", `nothing to stop: no ${file}`);
  const state = JSON.parse(readFileSync(file, "utf8")) as UpState;
  say("stopping kite node ...");
  await kill(state.nodePid, 5_000);
  if (alive(state.containerdPid)) {
    say("removing the pods ...");
    await removeAllPods(createCriClient({ socketPath: state.socketPath, timeoutMs: 30_000 })).catch(() => {});
  }
  say("stopping containerd ...");
  await kill(state.containerdPid, 10_000);
  for (const pid of shimPids(state.socketPath)) await kill(pid, 2_000);
  try {
    execFileSync("ip", ["netns", "del", state.netns], { stdio: "ignore" });
  } catch {}
  unmountUnder(dir);
  removeCgroupTree(state.cgroupRoot);
  rmSync(dir, { recursive: true, force: true });
  say(`removed ${dir}`);
}

function age(since: string | undefined, now: number): string {
  if (!since) return "-";
  const s = Math.max(0, Math.floor((now - Date.parse(since)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  return `${Math.floor(s / 3600)}h`;
}

/** kubectl's STATUS column: the waiting/terminated reason of the first container that has one, else the phase. */
export function podStatusText(p: Pod): string {
  const inits = p.status?.initContainerStatuses ?? [];
  for (const [i, c] of inits.entries()) {
    if (c.state?.terminated && c.state.terminated.exitCode === 0) continue;
    if (c.state?.running && p.spec.initContainers?.[i]?.restartPolicy === "Always") continue;
    const reason = c.state?.waiting?.reason ?? c.state?.terminated?.reason;
    if (reason && reason !== "PodInitializing") return `Init:${reason}`;
    return `Init:${inits.filter((x) => x.state?.terminated?.exitCode === 0).length}/${inits.length}`;
  }
  for (const c of p.status?.containerStatuses ?? []) {
    const reason = c.state?.waiting?.reason ?? c.state?.terminated?.reason;
    if (reason && reason !== "ContainerCreating") return reason;
    if (reason === "ContainerCreating") return reason;
  }
  return p.status?.phase ?? "Pending";
}

/** The live table `kite up` shows (kubectl get pods -o wide, roughly). */
export function renderPodTable(
  pods: Pod[],
  errors: { origin: string; field?: string; message: string }[],
  now: number,
): string {
  const rows = [["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP"]];
  for (const p of [...pods].sort((a, b) => (a.metadata.name ?? "").localeCompare(b.metadata.name ?? ""))) {
    const cs = p.status?.containerStatuses ?? [];
    rows.push([
      p.metadata.name ?? "",
      `${cs.filter((c) => c.ready).length}/${p.spec.containers.length}`,
      podStatusText(p),
      String([...cs, ...(p.status?.initContainerStatuses ?? [])].reduce((a, c) => a + c.restartCount, 0)),
      age(p.status?.startTime, now),
      p.status?.podIP ?? "<none>",
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = rows.map((r) =>
    r
      .map((v, i) => v.padEnd(widths[i]!))
      .join("   ")
      .trimEnd(),
  );
  for (const e of errors) lines.push(`! ${e.origin}${e.field ? `: ${e.field}` : ""}: ${e.message}`);
  return lines.join("\n");
}
