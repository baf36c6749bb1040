/**
 * Runs the kernel tools (iptables-restore, nft, ipset, ipvsadm, conntrack) as child
 * processes, optionally inside a named network namespace (`ip netns exec <ns>`).
 */
import { spawn } from "node:child_process";
import { KiteError } from "../../core/errors/mod.ts";

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Runner {
  /** Runs `argv` (in the runner's namespace), feeding `stdin`; never throws for a non-zero exit. */
  run(argv: string[], stdin?: string): Promise<ExecResult>;
  /** The namespace commands run in, or undefined for the current one. */
  readonly netns: string | undefined;
}

/** Runs argv directly, without a shell. */
/** Longest a single tool run may take: a full nft/iptables apply at 10k+ services can take minutes. */
export const defaultCommandTimeoutMs = 30 * 60_000;

export function runCommand(
  argv: string[],
  stdin?: string,
  timeoutMs = defaultCommandTimeoutMs,
): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const [cmd, ...args] = argv;
    if (!cmd) {
      reject(new KiteError("invalid_argument", "empty command"));
      return;
    }
    const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(new KiteError("unavailable", `cannot run ${cmd}: ${e.message}`, { cause: e }));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8") + (signal ? `killed by ${signal}` : ""),
      });
    });
    child.stdin.on("error", () => {});
    child.stdin.end(stdin ?? "");
  });
}

/** A Runner for the current namespace, or for `netns` via `ip netns exec`. */
export function createRunner(netns?: string): Runner {
  if (netns !== undefined && !/^[A-Za-z0-9_.-]{1,64}$/.test(netns)) {
    throw new KiteError("invalid_argument", `${JSON.stringify(netns)} is not a network namespace name`, {
      field: "--netns",
    });
  }
  return {
    netns,
    run: (argv, stdin) => runCommand(netns ? ["ip", "netns", "exec", netns, ...argv] : argv, stdin),
  };
}

/** Throws a clear error for a failed command, quoting the first lines of its stderr. */
export function checkResult(argv: string[], r: ExecResult): ExecResult {
  if (r.code === 0) return r;
  const msg = r.stderr.trim().split("\n").slice(0, 8).join("\n") || `exit code ${r.code}`;
  throw new KiteError("internal", `${argv.join(" ")} failed (exit ${r.code}): ${msg}`);
}
