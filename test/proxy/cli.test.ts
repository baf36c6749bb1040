/**
 * `kite proxy render`, `kite proxy plan` (reads a namespace's rules, applies nothing) and `kite proxy`
 * itself as a child process (--objects-dir, --netns), including the ipvs → iptables fallback.
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand } from "../../adapters/proxy/exec.ts";
import { runProxyCli } from "../../adapters/proxy/proxy-cli.ts";
import { createTopology, netnsUnavailable, type Topology } from "./netns.ts";

const root = new URL("../../", import.meta.url).pathname;
const example = join(root, "examples/proxy/objects.yaml");
const unavailable = netnsUnavailable();
if (unavailable) console.warn(`skipping proxy plan/run tests: ${unavailable}`);

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await runProxyCli(args, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

const common = ["--hostname-override", "node-a", "--cluster-cidr", "10.244.0.0/16"];

describe("kite proxy render", () => {
  it("prints the full iptables-restore input", async () => {
    const r = await cli(["render", "-f", example, ...common]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^\*filter\n/);
    expect(r.out).toContain('-A KUBE-SERVICES -m comment --comment "shop/empty has no endpoints"');
    expect(r.out).toContain("-j DNAT --to-destination 10.244.0.10:8080");
    expect(r.out.trimEnd().endsWith("COMMIT")).toBe(true);
  });

  it("prints the nft script in nftables mode", async () => {
    const r = await cli(["render", "-f", example, ...common, "--proxy-mode", "nftables"]);
    expect(r.out).toContain("add table ip kube-proxy");
    expect(r.out).toContain("shop/web/tcp/http");
  });

  it("reports a bad document with file and field, and renders the rest", async () => {
    const dir = await mkdtemp(join(tmpdir(), "kite-render-"));
    try {
      const text = await readFile(example, "utf8");
      const bad = text.replace("port: 53, targetPort: 53", 'port: "fifty-three", targetPort: 53');
      await writeFile(join(dir, "objects.yaml"), bad);
      const r = await cli(["render", "-f", dir, ...common]);
      expect(r.code).toBe(0);
      expect(r.err).toContain(`${join(dir, "objects.yaml")} [3].spec.ports[0].port`);
      expect(r.out).toContain("shop/web:http");
      expect(r.out).not.toContain("kube-system/dns");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("rejects a bad flag naming it", async () => {
    await expect(cli(["render", "-f", example, "--proxy-mode", "userspace"])).rejects.toThrow(/--proxy-mode/);
    await expect(cli(["render"])).rejects.toThrow(/-f/);
  });
});

describe.skipIf(!!unavailable)("kite proxy plan and run, in a namespace", () => {
  let topo: Topology;
  beforeAll(async () => {
    topo = await createTopology("cli", 0);
  });
  afterAll(async () => {
    await topo?.destroy();
  });

  it("plan prints the minimal change and applies nothing", async () => {
    const rendered = (await cli(["render", "-f", example, ...common])).out;
    await topo.exec(topo.node, ["iptables-restore", "--noflush"], rendered);
    const net = ["--netns", topo.node];
    const same = await cli(["plan", "-f", example, ...common, ...net]);
    expect(same.out).toBe("# no changes: the kernel's rules match\n");

    const dir = await mkdtemp(join(tmpdir(), "kite-plan-"));
    try {
      const text = await readFile(example, "utf8");
      await writeFile(join(dir, "o.yaml"), text.replace("10.244.0.11", "10.244.0.13"));
      const before = await topo.exec(topo.node, ["iptables-save", "-t", "nat"]);
      const plan = await cli(["plan", "-f", dir, ...common, ...net]);
      expect(plan.out).toMatch(/^# \d+ chains to write, \d+ to delete/);
      expect(plan.out).toContain("--to-destination 10.244.0.13:8080");
      expect(plan.out).toMatch(/# - nat KUBE-SEP-/);
      expect(plan.out).not.toContain("kube-system/dns");
      const after = await topo.exec(topo.node, ["iptables-save", "-t", "nat"]);
      const strip = (s: string) => s.replace(/^#.*\n/gm, "");
      expect(strip(after)).toBe(strip(before));
      // applying the plan makes the kernel match
      await topo.exec(topo.node, ["iptables-restore", "--noflush"], plan.out);
      expect((await cli(["plan", "-f", dir, ...common, ...net])).out).toBe(
        "# no changes: the kernel's rules match\n",
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("`kite proxy --proxy-mode ipvs` without ip_vs falls back to iptables, serves /healthz and /proxyMode", async () => {
    await topo.exec(topo.node, ["iptables", "-t", "nat", "-F"]);
    const dir = await mkdtemp(join(tmpdir(), "kite-run-"));
    await writeFile(join(dir, "objects.yaml"), await readFile(example, "utf8"));
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        join(root, "adapters/cli/main.ts"),
        "proxy",
        "--proxy-mode",
        "ipvs",
        ...common,
        "--objects-dir",
        dir,
        "--netns",
        topo.node,
        "--healthz-bind-address",
        "127.0.0.1:0",
        "--metrics-bind-address",
        "127.0.0.1:0",
        "--logging-format",
        "json",
      ],
      { cwd: root, stdio: ["ignore", "pipe", "pipe"] },
    );
    let log = "";
    child.stderr!.on("data", (b: Buffer) => {
      log += b.toString();
    });
    try {
      for (let i = 0; i < 200 && !log.includes("Synced proxy rules"); i++)
        await new Promise((r) => setTimeout(r, 100));
      expect(log).toContain("falling back to the iptables proxier");
      expect(log).toContain('"mode":"iptables"');
      const saved = await topo.exec(topo.node, ["iptables-save", "-t", "nat"]);
      expect(saved).toContain("shop/web:http cluster IP");
      const exit = new Promise<number | null>((resolve) => child.on("exit", resolve));
      child.kill("SIGTERM");
      expect(await exit).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
      await rm(dir, { recursive: true, force: true });
      await runCommand(["true"]);
    }
  });
});
