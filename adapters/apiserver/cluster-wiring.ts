/**
 * One call per command to join the cluster, so the CLI commands stay thin:
 * - kite node:     connectNode() (kubeconfig or TLS bootstrap + rotation) → ClusterNode(podSource, statusSink)
 * - kite proxy:    proxyObjectSource() → an ObjectSource for the proxy server
 * - kite extender: extenderCluster() → { cluster: ClusterView, binder: Binder } for createExtenderApp
 */
import type { Logger } from "../log/logger.ts";
import type { MetricsRegistry } from "../metrics/registry.ts";
import { ExtenderClusterCache } from "./extender-cache.ts";
import { KubeClient, loadKubeConfig } from "./kube-client.ts";
import { createPodBinder, type PodBinder } from "./pod-binder.ts";
import { ApiObjectSource } from "./proxy-source.ts";
import { ClientCertRotator, loadOrBootstrapClientCert } from "./tls-bootstrap.ts";

export interface NodeConnection {
  client: KubeClient;
  rotator: ClientCertRotator | undefined;
  stop(): void;
}

/** --kubeconfig, or with --bootstrap-kubeconfig: bootstrap a client certificate and keep rotating it. */
export async function connectNode(o: {
  nodeName: string;
  kubeconfig?: string;
  bootstrapKubeconfig?: string;
  certDir: string;
  log?: Logger;
  /** How often to check whether rotation is due (default 5 min). */
  rotationCheckMs?: number;
}): Promise<NodeConnection> {
  if (!o.bootstrapKubeconfig) {
    return {
      client: new KubeClient(loadKubeConfig(o.kubeconfig ? { kubeconfig: o.kubeconfig } : {})),
      rotator: undefined,
      stop() {},
    };
  }
  const kubeconfigPath = o.kubeconfig ?? "/var/lib/kubelet/kubeconfig";
  const creds = await loadOrBootstrapClientCert({
    nodeName: o.nodeName,
    kubeconfigPath,
    bootstrapKubeconfigPath: o.bootstrapKubeconfig,
    certDir: o.certDir,
    ...(o.log ? { log: o.log } : {}),
  });
  const client = new KubeClient(creds.kubeConfig);
  const rotator = creds.certPem
    ? new ClientCertRotator(creds, {
        nodeName: o.nodeName,
        kubeconfigPath,
        certDir: o.certDir,
        ...(o.log ? { log: o.log } : {}),
        onRotate: (c) => client.useKubeConfig(c.kubeConfig),
      })
    : undefined;
  const timer = rotator
    ? setInterval(
        () =>
          void rotator
            .rotateIfDue()
            .catch((err) => o.log?.warn("client certificate rotation failed; will retry", { err })),
        o.rotationCheckMs ?? 300_000,
      )
    : undefined;
  timer?.unref?.();
  return { client, rotator, stop: () => timer && clearInterval(timer) };
}

export function proxyObjectSource(o: {
  kubeconfig?: string;
  nodeName?: string;
  log?: Logger;
}): ApiObjectSource {
  const client = new KubeClient(loadKubeConfig(o.kubeconfig ? { kubeconfig: o.kubeconfig } : {}));
  return new ApiObjectSource({
    client,
    ...(o.nodeName ? { nodeName: o.nodeName } : {}),
    ...(o.log ? { log: o.log } : {}),
  });
}

export async function extenderCluster(o: {
  kubeconfig?: string;
  metrics?: MetricsRegistry;
  log?: Logger;
  metricsIntervalMs?: number;
}): Promise<{
  cluster: ExtenderClusterCache;
  binder: PodBinder;
  stop(): Promise<void>;
}> {
  const client = new KubeClient(loadKubeConfig(o.kubeconfig ? { kubeconfig: o.kubeconfig } : {}));
  const cluster = new ExtenderClusterCache({
    client,
    ...(o.metrics ? { metrics: o.metrics } : {}),
    ...(o.log ? { log: o.log } : {}),
  });
  await cluster.start();
  const timer = setInterval(() => cluster.updateMetrics(), o.metricsIntervalMs ?? 5000);
  timer.unref?.();
  return {
    cluster,
    binder: createPodBinder(client),
    async stop() {
      clearInterval(timer);
      await cluster.stop();
    },
  };
}
