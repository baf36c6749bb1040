/** Starts the real proxy (the code path of `kite proxy --objects-dir`) against a test topology. */
import { mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { createLogger, type Logger, silentLogger } from "../../adapters/log/logger.ts";
import { parseProxyOptions } from "../../adapters/proxy/proxy-options.ts";
import { type ProxyServer, startProxyServer } from "../../adapters/proxy/proxy-server.ts";
import { createFolderSource } from "../../adapters/proxy/sources/folder-source.ts";

export interface RunningProxy {
  server: ProxyServer;
  dir: string;
  /** Writes `objects` (multi-document YAML) to `file` in the objects folder. */
  write(file: string, objects: unknown[]): Promise<void>;
  /** Re-reads the folder and waits for the resulting sync. */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

export async function startTestProxy(opts: {
  mode: "iptables" | "nftables" | "ipvs";
  netns: string;
  files: Record<string, unknown[]>;
  extraArgs?: string[];
  logger?: Logger;
}): Promise<RunningProxy> {
  const dir = await mkdtemp(join(tmpdir(), "kite-proxy-objects-"));
  // Atomic replace (write a dotfile, rename), as a careful operator or a config tool would do: the
  // watcher never sees a half-written file.
  const write = async (file: string, objects: unknown[]) => {
    const tmp = join(dir, `.${file}.tmp`);
    await writeFile(tmp, objects.map((o) => stringify(o)).join("---\n"));
    await rename(tmp, join(dir, file));
  };
  for (const [file, objects] of Object.entries(opts.files)) await write(file, objects);
  const { options } = parseProxyOptions(
    [
      "--proxy-mode",
      opts.mode,
      "--hostname-override",
      "node-a",
      "--cluster-cidr",
      "10.244.0.0/16",
      "--netns",
      opts.netns,
      "--objects-dir",
      dir,
      "--objects-rescan-period",
      "0s",
      "--min-sync-period",
      "0s",
      "--sync-period",
      "30s",
      "--healthz-bind-address",
      "127.0.0.1:0",
      "--metrics-bind-address",
      "127.0.0.1:0",
      ...(opts.extraArgs ?? []),
    ],
    "node-a",
  );
  const logger = opts.logger ?? (process.env.KITE_TEST_LOG ? createLogger({ level: "debug" }) : silentLogger);
  const server = await startProxyServer({
    options,
    source: createFolderSource({ dir, rescanIntervalMs: 0, debounceMs: 10 }),
    logger,
  });
  await server.settle();
  return {
    server,
    dir,
    write,
    settle: () => server.settle(),
    async stop() {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** This node ("node-a") with its InternalIP, so the proxy knows which address NodePorts use. */
export function nodeObject(ip: string): unknown {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name: "node-a" },
    status: { addresses: [{ type: "InternalIP", address: ip }] },
  };
}

export function service(
  name: string,
  clusterIP: string,
  ports: { name?: string; port: number; targetPort: number; protocol?: "TCP" | "UDP"; nodePort?: number }[],
  extra: Record<string, unknown> = {},
): unknown {
  const nodePort = ports.some((p) => p.nodePort);
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: "test" },
    spec: {
      type: nodePort ? "NodePort" : "ClusterIP",
      clusterIP,
      clusterIPs: [clusterIP],
      ports: ports.map((p) => ({ protocol: "TCP", ...p })),
      ...extra,
    },
  };
}

export function slice(
  serviceName: string,
  endpoints: { ip: string; node: string; ready?: boolean }[],
  ports: { name?: string; port: number; protocol?: "TCP" | "UDP" }[],
  sliceName = `${serviceName}-1`,
): unknown {
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { name: sliceName, namespace: "test", labels: { "kubernetes.io/service-name": serviceName } },
    addressType: "IPv4",
    ports: ports.map((p) => ({ protocol: "TCP", ...p })),
    endpoints: endpoints.map((e) => ({
      addresses: [e.ip],
      nodeName: e.node,
      conditions: { ready: e.ready ?? true },
    })),
  };
}
