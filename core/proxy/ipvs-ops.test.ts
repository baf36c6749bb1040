/** IPVS operations: rendering, graceful termination, parsing ipvsadm output. */
import { describe, expect, it } from "../../test/harness.ts";
import {
  applyIpvsOps,
  createProxier,
  diffIpvs,
  emptyIpvsState,
  type IpvsState,
  ipvsSysctls,
  parseIpvsadmList,
  parseIpvsadmSave,
  renderIpvsOps,
} from "./mod.ts";
import { clusterIPService, sliceFor } from "./test-support/objects.ts";

const list = `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  172.16.0.1:80 rr
  -> 10.0.0.17:8080               Masq    1      3          1
  -> 10.0.0.18:8080               Masq    1      0          0
UDP  172.16.0.9:53 rr persistent 10800
  -> 10.0.0.99:53                 Masq    1      0          0
`;

function observed(text: string): IpvsState {
  return { ...emptyIpvsState(), ...parseIpvsadmList(text) };
}

describe("ipvs operations", () => {
  it("parses ipvsadm -Ln (with connection counts) and ipvsadm -Sn", () => {
    const s = parseIpvsadmList(list);
    expect(s.virtualServers.get("172.16.0.9:53/UDP")).toEqual({
      address: "172.16.0.9",
      port: 53,
      protocol: "UDP",
      scheduler: "rr",
      flags: ["FlagPersistent"],
      timeout: 10800,
    });
    expect(s.realServers.get("172.16.0.1:80/TCP")![0]).toEqual({
      address: "10.0.0.17",
      port: 8080,
      weight: 1,
      activeConn: 3,
      inactiveConn: 1,
    });
    const saved = parseIpvsadmSave(
      "-A -t 172.16.0.1:80 -s rr\n-a -t 172.16.0.1:80 -r 10.0.0.17:8080 -m -w 1\n",
    );
    expect(saved.realServers.get("172.16.0.1:80/TCP")).toEqual([
      { address: "10.0.0.17", port: 8080, weight: 1 },
    ]);
  });

  it("removes endpoints gracefully: weight 0 while connections remain, delete once drained; stale VS deleted", () => {
    const p = createProxier({ mode: "ipvs", hostname: "node-a", clusterCIDR: "10.0.0.0/8" });
    p.handle({ kind: "Service", op: "add", object: clusterIPService(1) });
    p.handle({ kind: "EndpointSlice", op: "add", object: sliceFor(1, 1) }); // only 10.0.0.17 wanted
    const r = p.sync({ now: 0, observedIpvs: observed(list) });
    expect(r.ipvs!.commands).toContain("ipvsadm -D -u 172.16.0.9:53");
    expect(r.ipvs!.commands).toContain("ip addr add 172.16.0.1/32 dev kube-ipvs0");
    expect(r.ipvs!.ipsetRestore).toContain("add KUBE-CLUSTER-IP 172.16.0.1,tcp:80 -exist");
    p.applied(r.id, true);
    // 10.0.0.18 has no connections, so it is deleted at once
    expect(r.ipvs!.commands.some((c) => c.includes("-d -t 172.16.0.1:80 -r 10.0.0.18:8080"))).toBe(true);
    // .17 removed while it has 4 connections → weight 0, then deleted when drained
    p.handle({ kind: "EndpointSlice", op: "update", object: sliceFor(1, 0) });
    const r2 = p.sync({ now: 1, observedIpvs: observed(list) });
    expect(r2.ipvs!.commands).toContain("ipvsadm -e -t 172.16.0.1:80 -r 10.0.0.17:8080 -m -w 0");
    p.applied(r2.id, true);
    const drained = observed(list.replace("Masq    1      3          1", "Masq    0      0          0"));
    const r3 = p.sync({ now: 2, observedIpvs: drained });
    expect(r3.ipvs!.commands).toContain("ipvsadm -d -t 172.16.0.1:80 -r 10.0.0.17:8080");
  });

  it("drains against its own belief plus the kernel's connection counts (what the running proxy passes)", () => {
    const p = createProxier({ mode: "ipvs", hostname: "node-a", clusterCIDR: "10.0.0.0/8" });
    p.handle({ kind: "Service", op: "add", object: clusterIPService(1) });
    p.handle({ kind: "EndpointSlice", op: "add", object: sliceFor(1, 2) }); // 10.0.0.17 and .18
    let r = p.sync({ now: 0 });
    p.applied(r.id, true);
    const kernel = (active17: number, weight17: number, active18 = 0) =>
      parseIpvsadmList(`IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  172.16.0.1:80 rr
  -> 10.0.0.17:8080               Masq    ${weight17}      ${active17}          0
  -> 10.0.0.18:8080               Masq    1      ${active18}          0
`);
    // .17 goes away while it still has connections: weight 0, not deleted.
    p.handle({
      kind: "EndpointSlice",
      op: "update",
      object: { ...sliceFor(1, 2), endpoints: sliceFor(1, 2).endpoints!.slice(1) },
    });
    r = p.sync({ now: 1, observedIpvsConnections: kernel(5, 1) });
    expect(r.ipvs!.commands).toContain("ipvsadm -e -t 172.16.0.1:80 -r 10.0.0.17:8080 -m -w 0");
    expect(r.ipvs!.commands.some((c) => c.includes("-d -t 172.16.0.1:80 -r 10.0.0.17"))).toBe(false);
    p.applied(r.id, true);
    // Still busy: nothing to do.
    r = p.sync({ now: 2, observedIpvsConnections: kernel(2, 0) });
    expect(r.ipvs!.commands.filter((c) => c.includes("10.0.0.17"))).toEqual([]);
    p.applied(r.id, true);
    // Without counts the belief alone never deletes a draining server...
    r = p.sync({ now: 3 });
    expect(r.ipvs!.commands.filter((c) => c.includes("10.0.0.17"))).toEqual([]);
    p.applied(r.id, true);
    // ...the kernel's zero does.
    r = p.sync({ now: 4, observedIpvsConnections: kernel(0, 0) });
    expect(r.ipvs!.commands).toContain("ipvsadm -d -t 172.16.0.1:80 -r 10.0.0.17:8080");
    p.applied(r.id, true);
    // A draining server the kernel no longer has is forgotten, not deleted again.
    p.handle({ kind: "EndpointSlice", op: "update", object: sliceFor(1, 0) });
    r = p.sync({ now: 5, observedIpvsConnections: kernel(0, 0, 3) });
    expect(r.ipvs!.commands).toContain("ipvsadm -e -t 172.16.0.1:80 -r 10.0.0.18:8080 -m -w 0");
    p.applied(r.id, true);
    const gone = parseIpvsadmList("TCP  172.16.0.1:80 rr\n");
    r = p.sync({ now: 6, observedIpvsConnections: gone });
    expect(r.ipvs!.commands.filter((c) => c.includes("10.0.0.18"))).toEqual([]);
  });

  it("renders schedulers, persistence and IPv6 addresses for ipvsadm", () => {
    const ops = diffIpvs(emptyIpvsState(), {
      ...emptyIpvsState(),
      virtualServers: new Map([
        [
          "[fd00::1]:443/TCP",
          {
            address: "fd00::1",
            port: 443,
            protocol: "TCP",
            scheduler: "mh",
            flags: ["FlagSourceHash"],
            timeout: 0,
          },
        ],
        [
          "10.0.0.1:53/SCTP",
          {
            address: "10.0.0.1",
            port: 53,
            protocol: "SCTP",
            scheduler: "sed",
            flags: ["FlagPersistent"],
            timeout: 60,
          },
        ],
      ]),
      realServers: new Map([["[fd00::1]:443/TCP", [{ address: "fd00::9", port: 8443, weight: 1 }]]]),
    });
    const { commands } = renderIpvsOps(ops, "IPv6");
    expect(commands).toEqual([
      "ipvsadm -A -t [fd00::1]:443 -s mh -b mh-port",
      "ipvsadm -a -t [fd00::1]:443 -r [fd00::9]:8443 -m -w 1",
      "ipvsadm -A --sctp-service 10.0.0.1:53 -s sed -p 60",
    ]);
    const after = applyIpvsOps(emptyIpvsState(), ops);
    expect(diffIpvs(after, after)).toEqual([]);
  });
});

describe("ipvs sysctls", () => {
  it("lists upstream's sysctls, plus the ARP ones with strict ARP", () => {
    expect(ipvsSysctls(false).map((s) => s.name)).toContain("net/ipv4/vs/expire_nodest_conn");
    expect(ipvsSysctls(false).some((s) => s.name.includes("arp_"))).toBe(false);
    expect(ipvsSysctls(true)).toContainEqual({ name: "net/ipv4/conf/all/arp_announce", value: 2 });
  });
});
