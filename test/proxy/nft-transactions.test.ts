/**
 * A large nftables full sync is applied as two transactions (declarations, then the rest with the
 * vmap-literal chains first). Real kernel: the table it leaves equals the one a single transaction
 * leaves, both on a fresh table and when it replaces a table that has out-of-band changes.
 */
import { afterAll, describe, expect, it } from "vitest";
import { createRunner, runCommand } from "../../adapters/proxy/exec.ts";
import { createNftablesApplier } from "../../adapters/proxy/nftables-applier.ts";
import type { EndpointSlice, Service } from "../../core/api/mod.ts";
import { createProxier, type ProxyEvent } from "../../core/proxy/mod.ts";
import { netnsUnavailable } from "./netns.ts";

const why = netnsUnavailable(["nft"]);
const created: string[] = [];

async function netns(tag: string): Promise<string> {
  const ns = `kite-nfttx-${process.pid}-${tag}`;
  const r = await runCommand(["ip", "netns", "add", ns]);
  if (r.code !== 0) throw new Error(`ip netns add ${ns}: ${r.stderr}`);
  created.push(ns);
  return ns;
}

afterAll(async () => {
  for (const ns of created) await runCommand(["ip", "netns", "del", ns]);
});

function events(n: number, affinity: boolean): ProxyEvent[] {
  const out: ProxyEvent[] = [];
  for (let i = 0; i < n; i++) {
    const svc: Service = {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: `s${i}`, namespace: "t" },
      spec: {
        type: i % 3 === 0 ? "NodePort" : "ClusterIP",
        clusterIP: `10.96.1.${i + 1}`,
        clusterIPs: [`10.96.1.${i + 1}`],
        ports: [
          {
            name: "p",
            port: 80,
            targetPort: 8080,
            protocol: "TCP",
            ...(i % 3 === 0 ? { nodePort: 30000 + i } : {}),
          },
        ],
        ...(affinity && i % 4 === 1 ? { sessionAffinity: "ClientIP" } : {}),
      },
    };
    const slice: EndpointSlice = {
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: { name: `s${i}-1`, namespace: "t", labels: { "kubernetes.io/service-name": `s${i}` } },
      addressType: "IPv4",
      ports: [{ name: "p", port: 8080, protocol: "TCP" }],
      endpoints: Array.from({ length: i % 5 }, (_, k) => ({
        addresses: [`10.244.${i}.${k + 1}`],
        nodeName: "node-a",
        conditions: { ready: true },
      })),
    };
    out.push(
      { kind: "Service", op: "add", object: svc },
      { kind: "EndpointSlice", op: "add", object: slice },
    );
  }
  return out;
}

const config = {
  mode: "nftables" as const,
  hostname: "node-a",
  nodeIPs: ["192.168.77.1"],
  clusterCIDR: "10.244.0.0/16",
  nodePortAddresses: ["primary"],
};

async function list(ns: string): Promise<string> {
  const r = await runCommand(["ip", "netns", "exec", ns, "nft", "list", "table", "ip", "kube-proxy"]);
  if (r.code !== 0) throw new Error(r.stderr);
  // Anonymous set numbering (__map12) is the kernel's, not part of the content.
  return r.stdout.replace(/__(map|set)\d+/g, "__$1N");
}

describe.skipIf(why)(`nftables: a full sync split into two transactions${why ? ` (${why})` : ""}`, () => {
  it("leaves the same table as one transaction, fresh and over a changed table", async () => {
    const [one, two] = [await netns("one"), await netns("two")];
    const fullText = () => {
      const p = createProxier(config);
      p.handleAll(events(40, true));
      return p.sync({ now: 0 });
    };
    const single = createNftablesApplier(createRunner(one), {
      splitAtVmapLiterals: Number.POSITIVE_INFINITY,
    });
    const split = createNftablesApplier(createRunner(two), { splitAtVmapLiterals: 1 });
    await single.apply(fullText());
    await split.apply(fullText());
    const want = await list(one);
    expect(want).toContain("vmap {");
    expect(await list(two)).toBe(want);

    // Out-of-band changes, then a forced full sync (which starts with `flush table`) through the split path.
    await split.run(
      "add chain ip kube-proxy intruder\nadd rule ip kube-proxy services counter\nflush chain ip kube-proxy mark-for-masquerade\n",
    );
    expect(await list(two)).not.toBe(want);
    const p = createProxier(config);
    p.handleAll(events(40, true));
    p.applied(p.sync({ now: 0 }).id, true);
    const forced = p.sync({ now: 1, forceFull: true });
    expect(forced.text).toContain("flush table ip kube-proxy");
    await split.apply(forced);
    const repaired = await list(two);
    expect(repaired.replace(/\n\n\tchain intruder \{\n\t\}/, "")).toBe(want);
    single.close();
    split.close();
  }, 120_000);
});
