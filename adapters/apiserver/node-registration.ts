/**
 * Node registration (registerWithAPIServer): create the Node; if it exists already, adopt it and
 * reconcile the labels kite owns. Retries with back-off until the API server accepts.
 */
import type { Node } from "../../core/api/mod.ts";
import type { Logger } from "../log/logger.ts";
import { isAlreadyExists } from "./api-error.ts";
import { Backoff, sleep as defaultSleep } from "./backoff.ts";
import type { KubeClient } from "./kube-client.ts";
import { initialNode, type NodeConfig, nodeLabels } from "./node-object.ts";

export interface RegisterOptions {
  client: KubeClient;
  config: NodeConfig;
  now?: () => Date;
  log?: Logger;
  sleep?: (ms: number) => Promise<void>;
  signal?: AbortSignal;
}

/** One attempt. Returns the Node as the server holds it. */
export async function registerNode(client: KubeClient, config: NodeConfig, now: Date): Promise<Node> {
  const node = initialNode(config, now);
  try {
    return await client.create<Node>("/api/v1/nodes", node);
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
  const existing = await client.get<Node>(`/api/v1/nodes/${encodeURIComponent(config.nodeName)}`);
  const wanted = nodeLabels(config);
  const labels = existing.metadata.labels ?? {};
  const changed = Object.entries(wanted).filter(([k, v]) => labels[k] !== v);
  if (changed.length === 0) return existing;
  return client.patch<Node>(
    `/api/v1/nodes/${encodeURIComponent(config.nodeName)}`,
    { metadata: { labels: Object.fromEntries(changed) } },
    "strategic",
  );
}

/** Registers, retrying (100 ms doubling to 7 s, as the kubelet) until it succeeds or the signal aborts. */
export async function registerWithApiServer(options: RegisterOptions): Promise<Node> {
  const backoff = new Backoff({ initialMs: 100, maxMs: 7000, jitter: 0 });
  const sleep = options.sleep ?? ((ms: number) => defaultSleep(ms, options.signal));
  for (;;) {
    try {
      const node = await registerNode(options.client, options.config, options.now?.() ?? new Date());
      options.log?.info("Successfully registered node", { node: options.config.nodeName });
      return node;
    } catch (err) {
      if (options.signal?.aborted) throw err;
      const delay = backoff.next();
      options.log?.warn("Unable to register node with API server", {
        node: options.config.nodeName,
        err,
        retryInMs: delay,
      });
      await sleep(delay);
    }
  }
}
