import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ApiError, isConflict } from "../../adapters/apiserver/api-error.ts";
import { Informer } from "../../adapters/apiserver/informer.ts";
import { retryOnConflict } from "../../adapters/apiserver/retry-on-conflict.ts";
import { kubeClientFor, until } from "./client.ts";
import { type FakeApiServer, startFakeApiServer } from "./fake-apiserver.ts";

const cm = (name: string, v: string) => ({ metadata: { name, namespace: "default" }, data: { v } });

describe("informer (list/watch) against the fake API server", () => {
  let server: FakeApiServer;
  let informer: Informer | undefined;
  beforeEach(async () => {
    server = await startFakeApiServer();
  });
  afterEach(async () => {
    await informer?.stop();
    await server.stop();
  });

  function track(inf: Informer) {
    const log: string[] = [];
    inf.on({
      add: (o) => log.push(`add ${o.metadata?.name} ${(o.data as { v: string }).v}`),
      update: (_, o) => log.push(`update ${o.metadata?.name} ${(o.data as { v: string }).v}`),
      delete: (o) => log.push(`delete ${o.metadata?.name}`),
    });
    return log;
  }

  const fastSleeps: number[] = [];
  const fastSleep = async (ms: number) => {
    fastSleeps.push(ms);
    await new Promise((r) => setTimeout(r, 5));
  };

  it("lists in pages, then watches; bookmarks advance the resourceVersion", async () => {
    for (let i = 0; i < 5; i++) server.seed("configmaps", cm(`c${i}`, "1"));
    informer = new Informer({
      client: kubeClientFor(server),
      path: "/api/v1/configmaps",
      pageSize: 2,
      sleep: fastSleep,
    });
    const log = track(informer);
    await informer.start();
    expect(log).toEqual(["add c0 1", "add c1 1", "add c2 1", "add c3 1", "add c4 1"]);
    expect(server.requests.filter((r) => r.query.get("limit") === "2")).toHaveLength(3);
    server.seed("configmaps", cm("c1", "2"));
    server.remove("configmaps", "c2", "default");
    await until(() => log.length === 7, "watch events");
    expect(log.slice(5)).toEqual(["update c1 2", "delete c2"]);
    server.seed("secrets", { metadata: { name: "s", namespace: "default" } });
    server.sendBookmarks();
    await until(() => informer?.stats.resourceVersion === server.resourceVersion, "bookmark");
  });

  it("relists after 410 Gone without losing or repeating events", async () => {
    server.seed("configmaps", cm("a", "1"));
    server.seed("configmaps", cm("b", "1"));
    informer = new Informer({
      client: kubeClientFor(server),
      path: "/api/v1/namespaces/default/configmaps",
      sleep: fastSleep,
    });
    const log = track(informer);
    await informer.start();
    await until(() => server.watchCount === 1, "watch open");
    // While the watch is down, things change and history is compacted: the re-watch gets 410.
    server.dropConnections();
    server.seed("configmaps", cm("a", "2"));
    server.remove("configmaps", "b", "default");
    server.seed("configmaps", cm("c", "1"));
    server.compact();
    await until(() => log.length === 5, "relist diff");
    expect(log.slice(0, 2)).toEqual(["add a 1", "add b 1"]);
    expect(log.slice(2).sort()).toEqual(["add c 1", "delete b", "update a 2"]);
    expect(informer.stats.relistsAfterGone).toBe(1);
    expect(
      informer
        .list()
        .map((o) => o.metadata?.name)
        .sort(),
    ).toEqual(["a", "c"]);
    server.seed("configmaps", cm("d", "1"));
    await until(() => log.length === 6, "watch after relist");
    expect(log[5]).toBe("add d 1");
  });

  it("survives an API server restart with exponential back-off, and re-watches from where it was", async () => {
    server.seed("configmaps", cm("a", "1"));
    fastSleeps.length = 0;
    informer = new Informer({
      client: kubeClientFor(server, {}, 500),
      path: "/api/v1/configmaps",
      sleep: fastSleep,
      backoff: { jitter: 0 },
    });
    const log = track(informer);
    await informer.start();
    await until(() => server.watchCount === 1, "watch open");
    await server.stop();
    await until(() => fastSleeps.length >= 3, "back-off while down");
    expect(fastSleeps.slice(0, 3)).toEqual([800, 1600, 3200]);
    server.seed("configmaps", cm("a", "2"));
    await server.start();
    await until(() => log.length === 2, "catch up");
    expect(log).toEqual(["add a 1", "update a 2"]);
    expect(informer.stats.lists).toBe(1); // no relist was needed: the watch resumed from its resourceVersion
  });

  it("reconnects after the server ends the watch (timeout) without a relist", async () => {
    informer = new Informer({ client: kubeClientFor(server), path: "/api/v1/configmaps", sleep: fastSleep });
    const log = track(informer);
    await informer.start();
    await until(() => server.watchCount === 1, "watch open");
    server.endWatches();
    server.seed("configmaps", cm("x", "1"));
    await until(() => log.length === 1, "event after rewatch");
    expect(informer.stats.lists).toBe(1);
    expect(informer.stats.watches).toBeGreaterThanOrEqual(2);
  });
});

describe("writes", () => {
  it("retries on conflict and gives up after the step limit", async () => {
    const server = await startFakeApiServer();
    try {
      const client = kubeClientFor(server);
      server.seed("configmaps", cm("a", "1"));
      let attempts = 0;
      await retryOnConflict(
        async () => {
          attempts++;
          const cur = await client.get<{ metadata: Record<string, unknown>; data: Record<string, string> }>(
            "/api/v1/namespaces/default/configmaps/a",
          );
          if (attempts === 1) server.seed("configmaps", cm("a", "other writer")); // someone writes between our read and write
          cur.data.v = `${cur.data.v}+kite`;
          return client.replace("/api/v1/namespaces/default/configmaps/a", cur);
        },
        { sleep: async () => {} },
      );
      expect(attempts).toBe(2);
      expect(server.get("configmaps", "a", "default")?.data).toEqual({ v: "other writer+kite" });
      server.injectFault({ method: "PUT", status: 409, reason: "Conflict", count: 10 });
      const err = await retryOnConflict(
        () => client.replace("/api/v1/namespaces/default/configmaps/a", cm("a", "z")),
        { sleep: async () => {} },
      ).catch((e) => e);
      expect(isConflict(err)).toBe(true);
      expect(server.requests.filter((r) => r.method === "PUT").length).toBe(2 + 5);
    } finally {
      await server.stop();
    }
  });

  it("times out requests that get no answer", async () => {
    const { createServer } = await import("node:net");
    const silent = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", () => r()));
    const port = (silent.address() as { port: number }).port;
    const { KubeConfig } = await import("@kubernetes/client-node");
    const { KubeClient } = await import("../../adapters/apiserver/kube-client.ts");
    const kc = new KubeConfig();
    const { kubeConfigYaml } = await import("./kubeconfig.ts");
    kc.loadFromString(kubeConfigYaml({ server: `http://127.0.0.1:${port}` }));
    const err = await new KubeClient(kc, { timeoutMs: 100 }).get("/api").catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.reason).toBe("Timeout");
    silent.close();
  });
});

describe("client-side rate limit", () => {
  it("lets a burst through, then spaces requests at the QPS", async () => {
    const { TokenBucket } = await import("../../adapters/apiserver/rate-limiter.ts");
    let now = 0;
    const bucket = new TokenBucket(10, 3, () => now);
    expect([bucket.reserve(), bucket.reserve(), bucket.reserve()]).toEqual([0, 0, 0]);
    expect(bucket.reserve()).toBe(100);
    now += 1000; // a second refills 10 tokens, capped at the burst of 3
    expect([bucket.reserve(), bucket.reserve(), bucket.reserve(), bucket.reserve()]).toEqual([0, 0, 0, 100]);
  });
});
