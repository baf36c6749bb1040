/** renderRules / planRules: full rules for a set of objects, and the minimal change from the kernel's text. */
import { describe, expect, it } from "../../test/harness.ts";
import { type ProxierConfig, planRules, renderRules } from "./mod.ts";
import { normalizeNftRule, parseNftList } from "./nft-plan.ts";
import { clusterIPService, sliceFor } from "./test-support/objects.ts";
import { realIptablesSave, realNftList } from "./test-support/real-kernel-samples.ts";

const objects = [
  clusterIPService(1),
  sliceFor(1, 2),
  clusterIPService(2),
  sliceFor(2, 1),
  clusterIPService(3),
];
const ipt: ProxierConfig = {
  mode: "iptables",
  hostname: "node-a",
  nodeIPs: ["192.168.0.2"],
  clusterCIDR: "10.0.0.0/8",
};
const nft: ProxierConfig = { ...ipt, mode: "nftables" };

/** Rewrites a rule the way iptables-save prints it (address suffixes, -p before -m, 11-digit probability). */
function asIptablesSave(rule: string): string {
  return rule
    .replace(/ -d ([0-9.]+) /g, " -d $1/32 ")
    .replace(/ -s ([0-9.]+) /g, " -s $1/32 ")
    .replace(/-m (tcp|udp) -p (tcp|udp)/g, "-p $2 -m $1")
    .replace(/--probability (0\.\d{10})/g, "--probability $10");
}

describe("renderRules", () => {
  it("renders a full sync for a list of API objects (List items included)", () => {
    const r = renderRules(ipt, [{ kind: "List", items: objects }, { kind: "ConfigMap" }]);
    expect(r.full).toBe(true);
    expect(r.text).toContain("KUBE-SVC-");
    expect(r.text).toContain('"ns3/svc3:http has no endpoints"');
  });
  it("refuses objects that are not objects", () => {
    expect(() => renderRules(ipt, [42])).toThrow(/objects\[0\]/);
  });
});

describe("planRules (iptables)", () => {
  const current = renderRules(ipt, objects).text;
  it("is empty when the kernel already holds the rules, also in iptables-save formatting", () => {
    expect(planRules(ipt, objects, current).text).toBe("");
    const saved = current.split("\n").map(asIptablesSave).join("\n");
    expect(planRules(ipt, objects, saved).text).toBe("");
  });
  it("rewrites only the chains that differ and deletes stale service chains", () => {
    const lines = current.split("\n");
    const sep = lines.find((l) => l.startsWith("-A KUBE-SEP-") && l.includes("DNAT"))!;
    const damaged = lines
      .filter((l) => l !== sep)
      .join("\n")
      .replace("COMMIT\n*nat\n", "COMMIT\n*nat\n:KUBE-SEP-STALESTALESTALE - [0:0]\n");
    const plan = planRules(ipt, objects, damaged);
    expect(plan.chainsChanged).toBe(1);
    expect(plan.chainsDeleted).toBe(1);
    expect(plan.text).toContain(sep);
    expect(plan.text).toContain("-X KUBE-SEP-STALESTALESTALE");
    expect(plan.text).not.toContain(":KUBE-SERVICES");
  });
});

describe("planRules (nftables)", () => {
  const desired = renderRules(nft, objects).text;
  it("is empty against its own dump, and adds only what is missing", () => {
    expect(planRules(nft, objects, desired).text).toBe("");
    const missing = desired
      .split("\n")
      .filter((l) => !l.startsWith("add element ip kube-proxy cluster-ips { 172.16.0.2 }"))
      .join("\n");
    const plan = planRules(nft, objects, missing);
    expect(plan.text).toBe("add element ip kube-proxy cluster-ips { 172.16.0.2 }\n");
    expect(plan.elementsAdded).toBe(1);
  });
  it("reads `nft list table` output", () => {
    const listed = `table ip kube-proxy {
	comment "rules for kube-proxy"
	set cluster-ips {
		type ipv4_addr
		comment "Active ClusterIPs"
		elements = { 172.16.0.1, 172.16.0.2 }
	}
	map service-ips {
		type ipv4_addr . inet_proto . inet_service : verdict
		elements = { 172.16.0.1 . tcp . 80 : goto service-X-ns1/svc1/tcp/http }
	}
	chain masquerading {
		meta mark & 0x00004000 == 0x00000000 return
		meta mark set meta mark ^ 0x00004000
		masquerade fully-random
	}
	chain nat-prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		jump services
	}
	chain service-X-ns1/svc1/tcp/http {
		ip daddr 172.16.0.1 ip saddr != 10.0.0.0/8 jump mark-for-masquerade # handle 7
	}
}
`;
    const s = parseNftList(listed);
    expect([...s.sets.get("cluster-ips")!.elements.keys()]).toEqual(["172.16.0.1", "172.16.0.2"]);
    expect(s.sets.get("service-ips")!.elements.has("172.16.0.1 . tcp . 80")).toBe(true);
    expect(s.chains.get("nat-prerouting")!.spec).toBe("{ type nat hook prerouting priority -100 ; }");
    expect(s.chains.get("masquerading")!.rules).toEqual([
      "mark and 0x4000 == 0 return",
      "mark set mark xor 0x4000",
      "masquerade fully-random",
    ]);
    expect(s.chains.get("service-X-ns1/svc1/tcp/http")!.rules[0]).toBe(
      normalizeNftRule("ip daddr 172.16.0.1 ip saddr != 10.0.0.0/8 jump mark-for-masquerade"),
    );
    const plan = planRules(nft, objects, listed);
    expect(plan.summary).toContain("- chain service-X-ns1/svc1/tcp/http (flushed now, delete after 1 s)");
    expect(plan.text).not.toContain("add element ip kube-proxy cluster-ips { 172.16.0.1 }");
  });
});

describe("planRules (ipvs)", () => {
  const ipvs: ProxierConfig = { ...ipt, mode: "ipvs" };
  it("lists the ipvsadm commands from ipvsadm -Sn output, and nothing when up to date", () => {
    const current = [
      "-A -t 172.16.0.1:80 -s rr",
      "-a -t 172.16.0.1:80 -r 10.0.0.17:8080 -m -w 1",
      "-A -t 172.16.0.9:80 -s rr",
      "",
    ].join("\n");
    const plan = planRules(ipvs, objects, current);
    expect(plan.text).toContain("ipvsadm -a -t 172.16.0.1:80 -r 10.0.0.18:8080 -m -w 1");
    expect(plan.text).toContain("ipvsadm -A -t 172.16.0.2:80 -s rr");
    expect(plan.text).toContain("ipvsadm -D -t 172.16.0.9:80");
    const upToDate = [
      "-A -t 172.16.0.1:80 -s rr",
      "-a -t 172.16.0.1:80 -r 10.0.0.17:8080 -m -w 1",
      "-a -t 172.16.0.1:80 -r 10.0.0.18:8080 -m -w 1",
      "-A -t 172.16.0.2:80 -s rr",
      "-a -t 172.16.0.2:80 -r 10.0.0.33:8080 -m -w 1",
      "-A -t 172.16.0.3:80 -s rr",
      renderRules(ipvs, objects).ipvs!.iptablesRestore,
    ].join("\n");
    expect(planRules(ipvs, objects, upToDate).text).toBe("");
  });
});

describe("plan against real kernel output", () => {
  const real = [
    clusterIPService(1),
    sliceFor(1, 2),
    clusterIPService(3, {
      sessionAffinity: "ClientIP",
      type: "NodePort",
      ports: [{ name: "http", protocol: "TCP", port: 80, nodePort: 30003 }],
    }),
    sliceFor(3, 2),
    clusterIPService(4),
  ];
  it("iptables-save of kite's own rules plans nothing; a changed endpoint plans only its chains", () => {
    expect(planRules(ipt, real, realIptablesSave).text).toBe("");
    const moved = sliceFor(1, 2);
    moved.endpoints![0]!.addresses = ["10.9.9.9"];
    const plan = planRules(ipt, [...real.slice(0, 1), moved, ...real.slice(2)], realIptablesSave);
    expect(plan.chainsChanged).toBe(2); // KUBE-SVC of svc1 and the new SEP
    expect(plan.chainsDeleted).toBe(1); // the old SEP
  });
  it("nft list table of kite's own table plans nothing", () => {
    expect(planRules(nft, real, realNftList).text).toBe("");
  });
});
