import { readFileSync } from "node:fs";
import { KiteError } from "../../../core/errors/mod.ts";
import { clusterModeRequested, clusterNodeFlags } from "../../apiserver/node-cluster-flags.ts";
import { createLogger } from "../../log/logger.ts";
import { startNodeDaemon } from "../../node/daemon.ts";
import { nodeFlags, resolveNodeConfig } from "../../node/node-config.ts";
import { parseFlags } from "../args.ts";
import type { Command } from "../command.ts";

const usage = `kite node: the node agent (kubelet) running static pods through the CRI

Usage: kite node --pod-manifest-path DIR [flags]
       kite node --kubeconfig FILE [--bootstrap-kubeconfig FILE] [flags]   (cluster member)

Flags (kubelet names; flags override --config):
  --config FILE                       KubeletConfiguration YAML (unknown fields are warned about)
  --pod-manifest-path DIR             static pod manifests (YAML/JSON; watched, re-read every --file-check-frequency)
  --container-runtime-endpoint URL    CRI socket (default unix:///run/containerd/containerd.sock)
  --root-dir DIR                      kubelet state (default /var/lib/kubelet)
  --pod-logs-dir DIR                  container logs in the CRI layout (default /var/log/pods)
  --cert-dir DIR                      where the self-signed serving certificate is generated (default <root-dir>/pki)
  --hostname-override NAME, --node-ip IP, --cgroup-root PATH (default /)
  --address IP (0.0.0.0)  --port N (10250, TLS)  --read-only-port N (0 = off)
  --healthz-bind-address IP (127.0.0.1)  --healthz-port N (10248)
  --tls-cert-file F --tls-private-key-file F    serving certificate (else self-signed)
  --client-ca-file F                  accept client certificates signed by this CA
  --token-auth-file F                 accept bearer tokens (token,user,uid,"groups" lines)
  --anonymous-auth                    allow unauthenticated requests (off)
  --cluster-dns IPs --cluster-domain D --resolv-conf F
  --eviction-hard LIST --eviction-soft LIST --eviction-soft-grace-period LIST --eviction-minimum-reclaim LIST
  --eviction-pressure-transition-period D
  --image-gc-high-threshold N --image-gc-low-threshold N --minimum-image-ttl-duration D
  --maximum-dead-containers-per-container N --maximum-dead-containers N
  --file-check-frequency D (20s)  --sync-frequency D (1m)  --runtime-request-timeout D (2m)
  --pleg-relist-period D (1s; 10s while containerd events drive the PLEG)
  --status-file F                     write every pod with its status to F (used by kite up)
  --logging-format text|json  -v N

Cluster mode (pods bound to this node by the API server; see docs/cluster.md):
  --kubeconfig FILE                   API server credentials (written here by TLS bootstrapping)
  --bootstrap-kubeconfig FILE         bootstrap token kubeconfig: CSR, approval, client certificate, rotation
  --node-labels k=v,...  --register-with-taints k=v:Effect,...
  --kube-reserved LIST --system-reserved LIST   subtracted from allocatable
  --authentication-token-webhook      bearer tokens on 10250 via TokenReview
  --authorization-mode Webhook|AlwaysAllow      (Webhook: SubjectAccessReview; default)

Stopping kite node leaves the pods running; started again, it adopts them.`;

export const nodeCommand: Command = {
  name: "node",
  summary: "Run the node agent (static pods through the CRI)",
  usage,
  async run(args) {
    const { values, positionals } = parseFlags(args, { ...nodeFlags, ...clusterNodeFlags });
    if (positionals.length > 0) {
      throw new KiteError("invalid_argument", `unexpected argument ${JSON.stringify(positionals[0])}`, {
        field: "args",
      });
    }
    const pre = createLogger({ format: values["logging-format"] === "json" ? "json" : "text" });
    const config = resolveNodeConfig(values, (msg, v) => pre.warn(msg, v));
    const log = createLogger({
      format: config.loggingFormat,
      level: config.verbosity >= 4 ? "debug" : "info",
    });
    const clientCa = config.clientCaFile ? readFileSync(config.clientCaFile, "utf8") : undefined;
    const cluster = clusterModeRequested(values)
      ? // Loaded only in cluster mode: static pods alone never pay for the API-server client.
        await (await import("../../apiserver/node-cluster-mode.ts")).prepareClusterNode(
          config,
          values,
          log,
          clientCa ? { clientCa } : {},
        )
      : undefined;
    const daemon = await startNodeDaemon(config, log, {
      ...(cluster?.daemonExtras ?? {}),
      ...(cluster?.auth ? { auth: cluster.auth } : {}),
    });
    if (cluster) {
      cluster.node.setRuntimeView((uid) => daemon.kubelet.runtimePods().some((p) => p.uid === uid));
      cluster.node.setHealth(() => daemon.nodeHealth.health());
      cluster.node.setImages(() => daemon.nodeHealth.images());
      await cluster.start();
    }
    await new Promise<void>((resolve) => {
      const stop = () => {
        log.info("shutting down; pods keep running", {});
        resolve();
      };
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
    await cluster?.stop();
    await daemon.stop();
    return 0;
  },
};
