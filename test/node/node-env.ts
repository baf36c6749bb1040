/**
 * Integration-test environment for the node agent: a private containerd (own folders, own network namespace),
 * the busybox images imported, and `kite node` started as a child process inside that namespace.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { importLocalImages } from "../../adapters/node/local-images.ts";
import {
  missingPrerequisites,
  type PrivateContainerd,
  removeCgroupTree,
  startPrivateContainerd,
} from "../../adapters/node/private-containerd.ts";
import type { Pod } from "../../core/api/mod.ts";

const repo = resolve(import.meta.dirname, "../..");

/** Why the integration tests cannot run here, or undefined. */
export function skipReason(): string | undefined {
  const missing = missingPrerequisites();
  return missing.length ? `node integration tests need ${missing.join(", ")}` : undefined;
}

export interface StatusFile {
  pods: Pod[];
  errors: { origin: string; field?: string; message: string }[];
}

export interface NodeEnv {
  dir: string;
  manifests: string;
  ctd: PrivateContainerd;
  cgroupRoot: string;
  statusFile: string;
  daemon?: ChildProcess;
  /** Starts kite node; `bundle` runs a bundled kite-node.mjs (see build-node-bundle.ts) instead of tsx. */
  startDaemon(extra?: string[], options?: { bundle?: string; nodeFlags?: string[] }): Promise<ChildProcess>;
  /** Stops the daemon with a signal (SIGKILL for kill -9) and waits for it to exit. */
  stopDaemon(signal?: NodeJS.Signals): Promise<void>;
  status(): StatusFile;
  pod(name: string): Pod | undefined;
  waitFor<T>(what: string, fn: () => T | undefined | false, timeoutMs?: number): Promise<T>;
  /** Runs a command inside the node's network namespace. */
  inNetns(cmd: string[], timeoutMs?: number): string;
  log(): string;
  destroy(): Promise<void>;
}

let counter = 0;

export async function startNodeEnv(): Promise<NodeEnv> {
  const dir = mkdtempSync("/tmp/kn-");
  const netns = `kite-node-${process.pid}-${counter++}`;
  const ctd = await startPrivateContainerd({ dir: join(dir, "c"), netns });
  try {
    importLocalImages(ctd.socketPath, dir);
  } catch (e) {
    await ctd.destroy();
    throw e;
  }
  const manifests = join(dir, "manifests");
  mkdirSync(manifests);
  const cgroupRoot = `/kite-test-${process.pid}-${counter}`;
  const statusFile = join(dir, "status.json");
  const logFile = join(dir, "node.log");
  const env: NodeEnv = {
    dir,
    manifests,
    ctd,
    cgroupRoot,
    statusFile,
    async startDaemon(extra = [], options = {}) {
      const out = openSync(logFile, "a");
      const child = spawn(
        "nsenter",
        [
          `--net=/var/run/netns/${netns}`,
          process.execPath,
          ...(options.nodeFlags ?? []),
          ...(options.bundle
            ? [options.bundle]
            : ["--import", "tsx", join(repo, "adapters/cli/main.ts"), "node"]),
          "--pod-manifest-path",
          manifests,
          "--container-runtime-endpoint",
          ctd.endpoint,
          "--root-dir",
          join(dir, "kubelet"),
          "--pod-logs-dir",
          join(dir, "logs"),
          "--cgroup-root",
          cgroupRoot,
          "--hostname-override",
          "testnode",
          "--status-file",
          statusFile,
          "--file-check-frequency",
          "2s",
          ...extra,
        ],
        { cwd: repo, stdio: ["ignore", out, out] },
      );
      env.daemon = child;
      await env.waitFor(
        "daemon healthz",
        () => {
          if (child.exitCode !== null) throw new Error(`kite node exited ${child.exitCode}:\n${env.log()}`);
          try {
            return env.inNetns(["wget", "-qO-", "http://127.0.0.1:10248/healthz"], 2000).includes("ok");
          } catch {
            return false;
          }
        },
        60_000,
      );
      return child;
    },
    async stopDaemon(signal = "SIGTERM") {
      const child = env.daemon;
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill(signal);
      await exited;
      env.daemon = undefined;
    },
    status() {
      try {
        return JSON.parse(readFileSync(statusFile, "utf8")) as StatusFile;
      } catch {
        return { pods: [], errors: [] };
      }
    },
    pod(name) {
      return env.status().pods.find((p) => p.metadata.name === `${name}-testnode`);
    },
    async waitFor(what, fn, timeoutMs = 30_000) {
      const until = Date.now() + timeoutMs;
      let last: unknown;
      while (Date.now() < until) {
        try {
          const v = fn();
          if (v !== undefined && v !== false) return v as never;
        } catch (e) {
          last = e;
          if ((e as Error).message.startsWith("kite node exited")) throw e;
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(
        `timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ""}\n--- node log tail ---\n${env.log().split("\n").slice(-30).join("\n")}`,
      );
    },
    inNetns(cmd, timeoutMs = 10_000) {
      return execFileSync("nsenter", [`--net=/var/run/netns/${netns}`, ...cmd], {
        encoding: "utf8",
        timeout: timeoutMs,
        stdio: ["ignore", "pipe", "pipe"],
      });
    },
    log() {
      return existsSync(logFile) ? readFileSync(logFile, "utf8") : "";
    },
    async destroy() {
      await env.stopDaemon("SIGKILL").catch(() => {});
      await ctd.destroy({ keepDir: false });
      removeCgroupTree(cgroupRoot);
      execFileSync("rm", ["-rf", dir]);
    },
  };
  return env;
}
