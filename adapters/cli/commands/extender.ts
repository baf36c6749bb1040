import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { invalidArgument, KiteError } from "../../../core/errors/mod.ts";
import { createExtenderApp } from "../../extender/app.ts";
import { MemoryClusterCache } from "../../extender/cluster-view.ts";
import { decodeExtenderConfig } from "../../extender/config.ts";
import { startFolderSource } from "../../extender/folder-source.ts";
import { serveApp } from "../../http/serve.ts";
import { createLogger } from "../../log/logger.ts";
import { MetricsRegistry } from "../../metrics/registry.ts";
import { parseFlags, parseHostPort } from "../args.ts";
import type { Command } from "../command.ts";

const usage = `Usage: kite extender --config FILE [--listen 127.0.0.1:8888]

Serves the kube-scheduler extender HTTP API: POST {urlPrefix}/filter,
/prioritize, /preempt and /bind in kube-scheduler's wire format, plus
POST /simulate, GET /healthz and GET /metrics. See docs/scheduler.md for the
configuration file and the KubeSchedulerConfiguration "extenders:" entry.

Flags:
  --config   extender configuration (YAML or JSON)
  --listen      host:port to listen on (default: the config's listen, else 127.0.0.1:8888)
  --kubeconfig  the API server to feed the node/pod cache from (informers) and to bind
                through (pods/binding); "in-cluster" uses the pod's service account`;

export const extenderCommand: Command = {
  name: "extender",
  summary: "Serve the scheduler extender HTTP API for kube-scheduler",
  usage,
  async run(args) {
    const { values } = parseFlags(args, {
      config: { type: "string" },
      listen: { type: "string" },
      kubeconfig: { type: "string" },
    });
    const log = createLogger().with({ component: "extender" });
    let raw: unknown = {};
    let baseDir = process.cwd();
    if (values.config) {
      let text: string;
      try {
        text = await readFile(values.config, "utf8");
      } catch (e) {
        throw new KiteError("not_found", `cannot read ${values.config}: ${(e as Error).message}`, {
          field: "config",
        });
      }
      try {
        raw = parseYaml(text) ?? {};
      } catch (e) {
        throw invalidArgument("config", `${values.config} is not valid YAML/JSON: ${(e as Error).message}`);
      }
      baseDir = dirname(resolve(values.config));
    }
    let config: ReturnType<typeof decodeExtenderConfig>;
    try {
      config = decodeExtenderConfig(raw);
    } catch (e) {
      throw KiteError.from(e, "invalid_argument").withFieldPrefix(values.config ?? "config");
    }
    const listen = parseHostPort(values.listen ?? config.listen ?? "127.0.0.1:8888", "listen");
    if (values.kubeconfig && config.cacheDir) {
      throw invalidArgument("kubeconfig", "give either --kubeconfig or the config's cacheDir, not both");
    }
    const metrics = new MetricsRegistry();
    const cache = new MemoryClusterCache();
    const folder = config.cacheDir
      ? await startFolderSource(resolve(baseDir, config.cacheDir), cache, {
          watchFolder: config.watchCacheDir,
          log,
        })
      : undefined;
    const api = values.kubeconfig
      ? // Loaded only with --kubeconfig: the folder mode never pays for the API-server client.
        await (await import("../../apiserver/cluster-wiring.ts")).extenderCluster({
          ...(values.kubeconfig === "in-cluster" ? {} : { kubeconfig: values.kubeconfig }),
          metrics,
          log,
        })
      : undefined;
    const app = createExtenderApp({
      config,
      cluster: api?.cluster ?? cache,
      ...(api ? { binder: api.binder } : {}),
      metrics,
      log,
    });
    const server = await serveApp(app as never, { host: listen.host, port: listen.port });
    log.info("scheduler extender listening", {
      address: `${listen.host}:${server.port}`,
      urlPrefix: config.urlPrefix || "/",
      nodeCacheCapable: config.nodeCacheCapable,
      profile: config.profile.schedulerName,
    });
    await new Promise<void>((done) => {
      const stop = () => done();
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
    log.info("shutting down");
    folder?.close();
    await api?.stop();
    await server.close();
    return 0;
  },
};
