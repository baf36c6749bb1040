/** `kite proxy` (run), `kite proxy render` and `kite proxy plan`. */
import { hostname as osHostname } from "node:os";
import { KiteError } from "../../core/errors/mod.ts";
import { planRules, renderRules, type SyncResult } from "../../core/proxy/mod.ts";
import { createLogger } from "../log/logger.ts";
import { createRunner } from "./exec.ts";
import { readInterfaces } from "./host-info.ts";
import { createIptablesApplier, iptablesBinaries } from "./iptables-applier.ts";
import { createIpvsApplier } from "./ipvs-applier.ts";
import { createNftablesApplier } from "./nftables-applier.ts";
import { buildProxierConfig } from "./proxier-config.ts";
import { parseProxyOptions } from "./proxy-options.ts";
import { startProxyServer } from "./proxy-server.ts";
import { readObjectFiles } from "./read-objects.ts";
import { createFolderSource } from "./sources/folder-source.ts";

export const proxyUsage = `Usage:
  kite proxy [flags]                       run the service proxy
  kite proxy render -f FILE [flags]        print the full rules for the objects in FILE
  kite proxy plan -f FILE [flags]          print the minimal change from the kernel's current rules (applies nothing)

Flags (upstream kube-proxy names):
  --proxy-mode iptables|nftables|ipvs      (default iptables; ipvs falls back to iptables without ip_vs)
  --config FILE                            KubeProxyConfiguration (kubeproxy.config.k8s.io/v1alpha1); flags override it
  --hostname-override NAME                 this node's name (endpoints with this nodeName are local)
  --bind-address IP                        node IP (default: the Node's InternalIP, else the first global address)
  --cluster-cidr CIDR                      pod CIDR (traffic from outside it to a ClusterIP is masqueraded)
  --masquerade-all                         SNAT all service traffic
  --iptables-masquerade-bit N              (default 14)
  --iptables-localhost-nodeports           (default true)
  --nodeport-addresses CIDR,...            addresses NodePorts listen on (default all; nftables: primary node IP)
  --ipvs-scheduler rr|wrr|lc|wlc|lblc|lblcr|dh|sh|sed|nq|mh|...   (default rr)
  --ipvs-exclude-cidrs CIDR,...  --ipvs-strict-arp
  --min-sync-period 1s  --sync-period 30s  (bounded-frequency sync)
  --healthz-bind-address 0.0.0.0:10256     /healthz, /livez ("" or :0 disables)
  --metrics-bind-address 127.0.0.1:10249   /metrics, /proxyMode
  --logging-format text|json
kite additions:
  --objects-dir DIR                        watch a folder of Service/EndpointSlice/Node YAML or JSON files
  --objects-rescan-period 5s               periodic rescan of --objects-dir
  --netns NAME                             apply inside this network namespace (ip netns exec), for tests
  --iptables-backend auto|nft|legacy       iptables binaries to use (default: the system's iptables)
  -f FILE|DIR|-                            (render, plan) objects to use`;

function takeFiles(args: string[]): { files: string[]; rest: string[] } {
  const files: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "-f" || a === "--filename") {
      const v = args[++i];
      if (v === undefined) throw new KiteError("invalid_argument", "needs a file name", { field: a });
      files.push(v);
    } else if (a.startsWith("--filename=")) files.push(a.slice(11));
    else rest.push(a);
  }
  return { files, rest };
}

/** Formats a sync result for printing. */
export function formatResult(r: SyncResult): string {
  if (r.mode !== "ipvs" || !r.ipvs) return r.text;
  return [
    "# ipset restore -exist",
    r.ipvs.ipsetRestore.trimEnd(),
    "# ipvsadm / ip commands",
    ...r.ipvs.commands,
    "# iptables-restore --noflush --counters",
    r.ipvs.iptablesRestore.trimEnd(),
    "",
  ].join("\n");
}

async function renderOrPlan(
  sub: "render" | "plan",
  args: string[],
  out: (s: string) => void,
  err: (s: string) => void,
) {
  const { files, rest } = takeFiles(args);
  const { options, positionals } = parseProxyOptions(rest, osHostname());
  if (positionals.length)
    throw new KiteError("invalid_argument", `unexpected argument ${JSON.stringify(positionals[0])}`, {
      field: "args",
    });
  const read = readObjectFiles(files);
  for (const p of read.problems) err(`kite proxy ${sub}: skipping ${p.origin} ${p.field}: ${p.message}\n`);
  const node = read.nodes.find((n) => n.metadata.name === options.hostname) ?? read.nodes[0];
  const runner = sub === "plan" ? createRunner(options.netns) : undefined;
  const interfaces = runner ? await readInterfaces(runner) : {};
  const config = buildProxierConfig(options, options.mode, { interfaces, ...(node ? { node } : {}) });
  if (sub === "render") {
    out(formatResult(renderRules(config, read.objects, Date.now())));
    return 0;
  }
  const applier =
    options.mode === "nftables"
      ? createNftablesApplier(runner!)
      : options.mode === "ipvs"
        ? createIpvsApplier(runner!)
        : createIptablesApplier(runner!, { binaries: iptablesBinaries(options.iptablesBackend) });
  const current = await applier.readCurrent();
  const plan = planRules(config, read.objects, current, Date.now());
  if (plan.text === "" && plan.summary.length === 0) {
    out("# no changes: the kernel's rules match\n");
    return 0;
  }
  out(
    `# ${plan.chainsChanged} chains to write, ${plan.chainsDeleted} to delete, ${plan.elementsAdded} elements to add, ${plan.elementsDeleted} to delete\n`,
  );
  for (const s of plan.summary) out(`# ${s}\n`);
  out(plan.text);
  return 0;
}

export async function runProxyCli(
  args: string[],
  io: { out: (s: string) => void; err: (s: string) => void } = {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
  },
): Promise<number> {
  const [first, ...rest] = args;
  if (first === "render" || first === "plan") return renderOrPlan(first, rest, io.out, io.err);
  const { options, positionals } = parseProxyOptions(args, osHostname());
  if (positionals.length) {
    throw new KiteError(
      "invalid_argument",
      `unknown subcommand ${JSON.stringify(positionals[0])} (want render or plan)`,
      {
        field: "args",
      },
    );
  }
  const inCluster = process.env.KUBERNETES_SERVICE_HOST !== undefined;
  if (!options.objectsDir && !options.kubeconfig && !inCluster) {
    throw new KiteError("invalid_argument", "no object source: give --kubeconfig FILE or --objects-dir DIR", {
      field: "--kubeconfig",
    });
  }
  const logger = createLogger({ format: options.logFormat });
  const source = options.objectsDir
    ? createFolderSource({ dir: options.objectsDir, rescanIntervalMs: options.rescanIntervalMs })
    : // Loaded only for the API-server source: the folder source never pays for the client.
      (await import("../apiserver/cluster-wiring.ts")).proxyObjectSource({
        ...(options.kubeconfig ? { kubeconfig: options.kubeconfig } : {}),
        nodeName: options.hostname,
        log: logger,
      });
  const server = await startProxyServer({ options, source, logger });
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  logger.info("Shutting down the proxy (rules stay in place)", {});
  await server.stop();
  return 0;
}
