/**
 * `kite node` in cluster mode, prepared from the kubelet config the node command already resolved plus the
 * cluster flags, so the command needs only a few lines:
 *
 *   const { values } = parseFlags(args, { ...nodeFlags, ...clusterNodeFlags });
 *   const cluster = clusterModeRequested(values) ? await prepareClusterNode(config, values, log) : undefined;
 *   const daemon = await startNodeDaemon(config, log, cluster?.daemonExtras ?? {});
 *   cluster?.node.setRuntimeView((uid) => daemon.kubelet.runtimePods().some((p) => p.uid === uid));
 *   await cluster?.start();            // register, lease, status
 *   ...; await cluster?.stop();
 */
import type { MiddlewareHandler } from "hono";
import { invalidArgument } from "../../core/errors/mod.ts";
import type { Logger } from "../log/logger.ts";
import type { NodeConfig as KubeletConfig } from "../node/node-config.ts";
import { detectNodeIp } from "../node/node-ip.ts";
import type { PodSource } from "../node/pod-source.ts";
import type { StatusSink } from "../node/status-sink.ts";
import type { VolumePlugin } from "../node/volume-plugin.ts";
import { apiVolumePlugins } from "./api-volumes.ts";
import { ClusterNode } from "./cluster-node.ts";
import { connectNode, type NodeConnection } from "./cluster-wiring.ts";
import { hostNodeConfig } from "./host-node.ts";
import { nodeAuth } from "./node-auth.ts";
import type { ClusterModeFlags } from "./node-cluster-flags.ts";
import { parseNodeLabels, parseReserved, parseTaints } from "./node-flags.ts";
import type { NodeHealth } from "./node-object.ts";

export { type ClusterModeFlags, clusterModeRequested, clusterNodeFlags } from "./node-cluster-flags.ts";

export interface PreparedClusterNode {
  node: ClusterNode;
  connection: NodeConnection;
  /** Pass to startNodeDaemon(config, log, daemonExtras). */
  daemonExtras: { sources: PodSource[]; sinks: StatusSink[]; volumePlugins: VolumePlugin[] };
  /** 10250 middleware (client certs + TokenReview + SubjectAccessReview), when webhook authn/authz is asked for. */
  auth: MiddlewareHandler | undefined;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function prepareClusterNode(
  config: KubeletConfig,
  flags: ClusterModeFlags,
  log: Logger,
  options: {
    health?: () => NodeHealth;
    containerRuntimeVersion?: string;
    kubeletVersion?: string;
    clientCa?: string;
  } = {},
): Promise<PreparedClusterNode> {
  const mode = flags["authorization-mode"] ?? "Webhook";
  if (mode !== "Webhook" && mode !== "AlwaysAllow") {
    throw invalidArgument(
      "--authorization-mode",
      `must be Webhook or AlwaysAllow, got ${JSON.stringify(mode)}`,
    );
  }
  const labels = flags["node-labels"] ? parseNodeLabels(flags["node-labels"]) : undefined;
  const taints = flags["register-with-taints"] ? parseTaints(flags["register-with-taints"]) : undefined;
  const kubeReserved = flags["kube-reserved"]
    ? parseReserved(flags["kube-reserved"], "--kube-reserved")
    : undefined;
  const systemReserved = flags["system-reserved"]
    ? parseReserved(flags["system-reserved"], "--system-reserved")
    : undefined;
  const connection = await connectNode({
    nodeName: config.nodeName,
    certDir: config.certDir,
    log,
    ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}),
    ...(flags["bootstrap-kubeconfig"] ? { bootstrapKubeconfig: flags["bootstrap-kubeconfig"] } : {}),
  });
  const nodeConfig = hostNodeConfig({
    nodeName: config.nodeName,
    nodeIp: detectNodeIp(config.nodeIp),
    rootDir: config.rootDir,
    maxPods: config.maxPods,
    port: config.port,
    kubeletVersion: options.kubeletVersion ?? "v1.31.0-kite",
    containerRuntimeVersion: options.containerRuntimeVersion ?? `remote://${config.runtimeEndpoint}`,
    evictionHard: config.evictionHard,
    ...(labels ? { labels } : {}),
    ...(taints ? { taints } : {}),
    ...(kubeReserved ? { kubeReserved } : {}),
    ...(systemReserved ? { systemReserved } : {}),
  });
  const node = new ClusterNode({
    client: connection.client,
    config: nodeConfig,
    health:
      options.health ??
      (() => ({ ready: true, memoryPressure: false, diskPressure: false, pidPressure: false })),
    log,
  });
  const webhook = flags["authentication-token-webhook"] || mode === "Webhook";
  const auth = webhook
    ? nodeAuth({
        client: connection.client,
        nodeName: config.nodeName,
        authorizationMode: mode,
        tokenWebhook: flags["authentication-token-webhook"] ?? true,
        anonymous: config.anonymousAuth,
        log,
        ...(options.clientCa ? { clientCa: options.clientCa } : {}),
      })
    : undefined;
  return {
    node,
    connection,
    daemonExtras: {
      sources: [node.podSource],
      sinks: [node.statusSink],
      volumePlugins: apiVolumePlugins(connection.client),
    },
    auth,
    start: () => node.start(),
    async stop() {
      connection.stop();
      await node.stop();
    },
  };
}
