/**
 * Minimal operations turning an observed IPVS state into the desired one, rendered as
 * ipvsadm / ip / ipset commands. Removed real servers terminate gracefully: TCP/SCTP ones get
 * weight 0 and are deleted once their connections drained; UDP ones go at once.
 */
import { cidrContains, parseCIDR, parseIP } from "./ip.ts";
import {
  cloneIpvsState,
  type IpvsState,
  type RealServer,
  rsKey,
  type VirtualServer,
  vsKey,
} from "./ipvs-state.ts";

export type IpvsOp =
  | { op: "add-vs"; vs: VirtualServer }
  | { op: "edit-vs"; vs: VirtualServer }
  | { op: "del-vs"; vs: VirtualServer }
  | { op: "add-rs"; vs: VirtualServer; rs: RealServer }
  | { op: "edit-rs"; vs: VirtualServer; rs: RealServer }
  | { op: "del-rs"; vs: VirtualServer; rs: RealServer }
  | { op: "bind"; address: string }
  | { op: "unbind"; address: string }
  | { op: "ipset-create"; name: string; type: string }
  | { op: "ipset-add"; name: string; entry: string }
  | { op: "ipset-del"; name: string; entry: string };

export interface IpvsDiffOptions {
  /** `--ipvs-exclude-cidrs`: virtual servers there are never deleted. */
  excludeCIDRs?: readonly string[];
  /** Only virtual servers of this family are managed. */
  family?: "IPv4" | "IPv6";
  /** Whether to delete virtual servers and addresses nobody wants (upstream cleanLegacyService). */
  cleanLegacy?: boolean;
}

function sameVS(a: VirtualServer, b: VirtualServer): boolean {
  return (
    a.scheduler === b.scheduler &&
    a.timeout === b.timeout &&
    [...a.flags].sort().join(",") === [...b.flags].sort().join(",")
  );
}

export function diffIpvs(observed: IpvsState, desired: IpvsState, opts: IpvsDiffOptions = {}): IpvsOp[] {
  const ops: IpvsOp[] = [];
  for (const [name, set] of desired.ipsets) {
    const have = observed.ipsets.get(name);
    if (!have) ops.push({ op: "ipset-create", name, type: set.type });
    for (const e of have?.entries ?? [])
      if (!set.entries.has(e)) ops.push({ op: "ipset-del", name, entry: e });
    for (const e of set.entries) if (!have?.entries.has(e)) ops.push({ op: "ipset-add", name, entry: e });
  }
  for (const a of desired.boundAddresses)
    if (!observed.boundAddresses.has(a)) ops.push({ op: "bind", address: a });
  for (const [key, vs] of desired.virtualServers) {
    const cur = observed.virtualServers.get(key);
    if (!cur) ops.push({ op: "add-vs", vs });
    else if (!sameVS(cur, vs)) ops.push({ op: "edit-vs", vs });
    const want = desired.realServers.get(key) ?? [];
    const have = cur ? (observed.realServers.get(key) ?? []) : [];
    const haveMap = new Map(have.map((r) => [rsKey(r), r]));
    const wantKeys = new Set(want.map((r) => rsKey(r)));
    for (const rs of want) {
      const h = haveMap.get(rsKey(rs));
      if (!h) ops.push({ op: "add-rs", vs, rs });
      else if (h.weight !== rs.weight) ops.push({ op: "edit-rs", vs, rs });
    }
    for (const rs of have) {
      if (wantKeys.has(rsKey(rs))) continue;
      const conns = rs.activeConn === undefined ? undefined : rs.activeConn + (rs.inactiveConn ?? 0);
      if (vs.protocol === "UDP" || conns === 0) ops.push({ op: "del-rs", vs, rs });
      else if (rs.weight !== 0)
        ops.push({ op: "edit-rs", vs, rs: { address: rs.address, port: rs.port, weight: 0 } });
    }
  }
  if (opts.cleanLegacy !== false) {
    const exclude = (opts.excludeCIDRs ?? []).map((c) => parseCIDR(c)).filter((c) => !!c);
    for (const [key, vs] of observed.virtualServers) {
      if (desired.virtualServers.has(key)) continue;
      const ip = parseIP(vs.address);
      if (!ip) continue;
      if (opts.family && ip.family !== opts.family) continue;
      if (exclude.some((c) => cidrContains(c, ip))) continue;
      ops.push({ op: "del-vs", vs });
    }
    for (const a of observed.boundAddresses)
      if (!desired.boundAddresses.has(a)) ops.push({ op: "unbind", address: a });
  }
  return ops;
}

/** Applies operations to a state (the fake kernel of tests, and the proxier's belief after success). */
export function applyIpvsOps(state: IpvsState, ops: readonly IpvsOp[]): IpvsState {
  const s = cloneIpvsState(state);
  for (const o of ops) {
    switch (o.op) {
      case "add-vs":
      case "edit-vs":
        s.virtualServers.set(vsKey(o.vs), { ...o.vs, flags: [...o.vs.flags] });
        if (!s.realServers.has(vsKey(o.vs))) s.realServers.set(vsKey(o.vs), []);
        break;
      case "del-vs":
        s.virtualServers.delete(vsKey(o.vs));
        s.realServers.delete(vsKey(o.vs));
        break;
      case "add-rs":
      case "edit-rs": {
        const list = s.realServers.get(vsKey(o.vs)) ?? [];
        const i = list.findIndex((r) => rsKey(r) === rsKey(o.rs));
        if (i >= 0) list[i] = { ...list[i]!, weight: o.rs.weight };
        else list.push({ address: o.rs.address, port: o.rs.port, weight: o.rs.weight });
        s.realServers.set(vsKey(o.vs), list);
        break;
      }
      case "del-rs": {
        const list = s.realServers.get(vsKey(o.vs)) ?? [];
        s.realServers.set(
          vsKey(o.vs),
          list.filter((r) => rsKey(r) !== rsKey(o.rs)),
        );
        break;
      }
      case "bind":
        s.boundAddresses.add(o.address);
        break;
      case "unbind":
        s.boundAddresses.delete(o.address);
        break;
      case "ipset-create":
        if (!s.ipsets.has(o.name)) s.ipsets.set(o.name, { type: o.type, entries: new Set() });
        break;
      case "ipset-add":
        s.ipsets.get(o.name)?.entries.add(o.entry);
        break;
      case "ipset-del":
        s.ipsets.get(o.name)?.entries.delete(o.entry);
        break;
    }
  }
  return s;
}

function svcArg(vs: VirtualServer): string {
  const flag = vs.protocol === "UDP" ? "-u" : vs.protocol === "SCTP" ? "--sctp-service" : "-t";
  return `${flag} ${rsKey(vs)}`;
}

function vsArgs(vs: VirtualServer): string {
  let a = `${svcArg(vs)} -s ${vs.scheduler}`;
  if (vs.flags.includes("FlagPersistent")) a += ` -p ${vs.timeout}`;
  if (vs.flags.includes("FlagSourceHash")) a += " -b mh-port";
  return a;
}

export interface RenderedIpvsOps {
  /** ipvsadm and ip commands, in order (ipset changes must be applied first). */
  commands: string[];
  /** `ipset restore` input. */
  ipsetRestore: string;
}

export function renderIpvsOps(ops: readonly IpvsOp[], family: "IPv4" | "IPv6" = "IPv4"): RenderedIpvsOps {
  const commands: string[] = [];
  const ipset: string[] = [];
  const inet = family === "IPv6" ? "inet6" : "inet";
  const bits = family === "IPv6" ? 128 : 32;
  for (const o of ops) {
    switch (o.op) {
      case "ipset-create":
        ipset.push(
          o.type === "bitmap:port"
            ? `create ${o.name} bitmap:port range 0-65535 -exist`
            : `create ${o.name} ${o.type} family ${inet} hashsize 1024 maxelem 65536 -exist`,
        );
        break;
      case "ipset-add":
        ipset.push(`add ${o.name} ${o.entry} -exist`);
        break;
      case "ipset-del":
        ipset.push(`del ${o.name} ${o.entry} -exist`);
        break;
      case "bind":
        commands.push(`ip addr add ${o.address}/${bits} dev kube-ipvs0`);
        break;
      case "unbind":
        commands.push(`ip addr del ${o.address}/${bits} dev kube-ipvs0`);
        break;
      case "add-vs":
        commands.push(`ipvsadm -A ${vsArgs(o.vs)}`);
        break;
      case "edit-vs":
        commands.push(`ipvsadm -E ${vsArgs(o.vs)}`);
        break;
      case "del-vs":
        commands.push(`ipvsadm -D ${svcArg(o.vs)}`);
        break;
      case "add-rs":
        commands.push(`ipvsadm -a ${svcArg(o.vs)} -r ${rsKey(o.rs)} -m -w ${o.rs.weight}`);
        break;
      case "edit-rs":
        commands.push(`ipvsadm -e ${svcArg(o.vs)} -r ${rsKey(o.rs)} -m -w ${o.rs.weight}`);
        break;
      case "del-rs":
        commands.push(`ipvsadm -d ${svcArg(o.vs)} -r ${rsKey(o.rs)}`);
        break;
    }
  }
  return { commands, ipsetRestore: ipset.length ? `${ipset.join("\n")}\n` : "" };
}

/**
 * Parses `ipvsadm -S -n` output (and optionally `ipvsadm -L -n` connection columns are merged by the
 * caller) into virtual and real servers.
 */
export function parseIpvsadmSave(text: string): Pick<IpvsState, "virtualServers" | "realServers"> {
  const virtualServers = new Map<string, VirtualServer>();
  const realServers = new Map<string, RealServer[]>();
  const hostPort = (s: string): [string, number] => {
    const i = s.lastIndexOf(":");
    const host = s.slice(0, i).replace(/^\[|\]$/g, "");
    return [host, Number(s.slice(i + 1))];
  };
  for (const raw of text.split("\n")) {
    const t = raw.trim().split(/\s+/);
    if (t.length < 3) continue;
    const protoFlag = t[1];
    const protocol =
      protoFlag === "-u" ? "UDP" : protoFlag === "--sctp-service" ? "SCTP" : protoFlag === "-t" ? "TCP" : "";
    if (!protocol) continue;
    const [address, port] = hostPort(t[2]!);
    const key = vsKey({ address, port, protocol });
    if (t[0] === "-A") {
      const sIdx = t.indexOf("-s");
      const pIdx = t.indexOf("-p");
      const flags: VirtualServer["flags"] = [];
      if (pIdx >= 0) flags.push("FlagPersistent");
      if (t.includes("-b")) flags.push("FlagSourceHash");
      virtualServers.set(key, {
        address,
        port,
        protocol,
        scheduler: sIdx >= 0 ? (t[sIdx + 1] ?? "rr") : "wlc",
        flags,
        timeout: pIdx >= 0 ? Number(t[pIdx + 1] ?? 0) : 0,
      });
      if (!realServers.has(key)) realServers.set(key, []);
    } else if (t[0] === "-a") {
      const rIdx = t.indexOf("-r");
      const wIdx = t.indexOf("-w");
      if (rIdx < 0) continue;
      const [ra, rp] = hostPort(t[rIdx + 1]!);
      const list = realServers.get(key) ?? [];
      list.push({ address: ra, port: rp, weight: wIdx >= 0 ? Number(t[wIdx + 1]) : 1 });
      realServers.set(key, list);
    }
  }
  return { virtualServers, realServers };
}

/**
 * Parses `ipvsadm -L -n` output (which carries ActiveConn / InActConn per real server, needed for
 * graceful termination) into virtual and real servers.
 */
export function parseIpvsadmList(text: string): Pick<IpvsState, "virtualServers" | "realServers"> {
  const virtualServers = new Map<string, VirtualServer>();
  const realServers = new Map<string, RealServer[]>();
  const hostPort = (s: string): [string, number] => {
    const i = s.lastIndexOf(":");
    return [s.slice(0, i).replace(/^\[|\]$/g, ""), Number(s.slice(i + 1))];
  };
  let current: string | undefined;
  for (const raw of text.split("\n")) {
    const t = raw.trim().split(/\s+/);
    if (t[0] === "TCP" || t[0] === "UDP" || t[0] === "SCTP") {
      const [address, port] = hostPort(t[1] ?? "");
      const pIdx = t.indexOf("persistent");
      const flags: VirtualServer["flags"] = pIdx >= 0 ? ["FlagPersistent"] : [];
      const vs: VirtualServer = {
        address,
        port,
        protocol: t[0],
        scheduler: t[2] ?? "wlc",
        flags,
        timeout: pIdx >= 0 ? Number(t[pIdx + 1] ?? 0) : 0,
      };
      current = vsKey(vs);
      virtualServers.set(current, vs);
      realServers.set(current, []);
    } else if (t[0] === "->" && current && t[1] !== "RemoteAddress:Port") {
      const [address, port] = hostPort(t[1] ?? "");
      realServers.get(current)!.push({
        address,
        port,
        weight: Number(t[3] ?? 1),
        activeConn: Number(t[4] ?? 0),
        inactiveConn: Number(t[5] ?? 0),
      });
    }
  }
  return { virtualServers, realServers };
}
