/**
 * Test support for the iptables fixtures: a fake kernel that applies iptables-restore
 * input with --noflush semantics (and rejects deleting a still-referenced chain), a packet
 * tracer with upstream's TestTracePacket semantics, and the expectation checks.
 */
import { expect } from "../../../test/harness.ts";
import { cidrContains, parseCIDR, parseIP } from "../ip.ts";
import type { Proxier, SyncResult } from "../mod.ts";
import { sortIptablesRules } from "./iptables-sort.ts";

// biome-ignore lint/suspicious/noExplicitAny: fixture JSON
type Any = any;

export interface FakeIptables {
  tables: Map<string, Map<string, string[]>>;
  restore(text: string): boolean;
  append(table: string, chain: string, rule: string): void;
}

export function newFakeIptables(): FakeIptables {
  const k: FakeIptables = {
    tables: new Map(),
    append(table, chain, rule) {
      const t = k.tables.get(table) ?? new Map<string, string[]>();
      k.tables.set(table, t);
      const c = t.get(chain) ?? [];
      t.set(chain, c);
      c.push(rule);
    },
    restore(text) {
      if (!text) return true;
      const next = new Map([...k.tables].map(([n, t]) => [n, new Map([...t].map(([c, r]) => [c, [...r]]))]));
      let t: Map<string, string[]> | undefined;
      for (const line of text.split("\n")) {
        if (line === "" || line === "COMMIT") continue;
        if (line.startsWith("*")) {
          const name = line.slice(1);
          t = next.get(name) ?? new Map<string, string[]>();
          next.set(name, t);
        } else if (line.startsWith(":")) t!.set(line.slice(1).split(" ")[0]!, []);
        else if (line.startsWith("-A ")) {
          const c = line.split(" ")[1]!;
          if (!t!.has(c)) return false;
          t!.get(c)!.push(line);
        } else if (line.startsWith("-I ")) {
          const parts = line.split(" ");
          const c = parts[1]!;
          if (!t!.has(c)) return false;
          t!.get(c)!.unshift(`-A ${c} ${parts.slice(3).join(" ")}`);
        } else if (line.startsWith("-D ")) {
          const c = line.split(" ")[1]!;
          const rule = `-A ${line.slice(3)}`;
          const list = t!.get(c);
          const i = list ? list.indexOf(rule) : -1;
          if (i < 0) return false;
          list!.splice(i, 1);
        } else if (line.startsWith("-X ")) {
          const c = line.slice(3);
          for (const [name, rules] of t!)
            if (name !== c && rules.some((r) => r.endsWith(` -j ${c}`))) return false;
          t!.delete(c);
        } else return false;
      }
      // Every jump target must exist.
      for (const tbl of next.values())
        for (const rules of tbl.values())
          for (const r of rules) {
            const m = / -j (KUBE-[A-Z0-9-]+)/.exec(r);
            if (m && !tbl.has(m[1]!)) return false;
          }
      k.tables = next;
      return true;
    },
  };
  return k;
}

interface Ctx {
  result: SyncResult;
  ok: boolean;
  kernel: FakeIptables;
  proxier: Proxier;
  metrics: Map<string, number>;
  prev: Map<string, number>;
  cfg: Any;
  label: string;
}

function metricKey(e: Any): string {
  const l = e.labels ?? {};
  const sel = l.table ?? l.traffic_policy;
  return sel ? `${e.name}{${sel}}` : e.name;
}

export function checkIptablesExpectation(e: Any, ctx: Ctx): void {
  const { result, kernel } = ctx;
  switch (e.kind) {
    case "iptables-restore": {
      expect(sortIptablesRules(result.text), ctx.label).toBe(sortIptablesRules(e.text));
      if (e.checkJumpConsistency)
        expect(kernel.restore("") && jumpsConsistent(result.text), ctx.label).toBe(true);
      return;
    }
    case "iptables-chain": {
      const rules = kernel.tables.get(e.table)?.get(e.chain) ?? [];
      expect(rules, ctx.label).toEqual(e.rules);
      return;
    }
    case "metric": {
      const k = metricKey(e);
      if (e.value !== undefined) expect(ctx.metrics.get(k), `${ctx.label} ${k}`).toBe(e.value);
      if (e.delta !== undefined && ctx.prev.has(k))
        expect((ctx.metrics.get(k) ?? 0) - (ctx.prev.get(k) ?? 0), `${ctx.label} ${k} delta`).toBe(e.delta);
      return;
    }
    case "sep-dnat-count": {
      const lines = result.text
        .split("\n")
        .filter((l) => l.startsWith("-A KUBE-SEP-") && l.includes("-j DNAT"));
      expect(lines.length, ctx.label).toBe(e.endpoints);
      expect(lines.filter((l) => l.includes("--comment")).length, ctx.label).toBe(e.withComment);
      if (e.line) {
        const found = lines.find((l) => l.includes(e.line.containing)) ?? "";
        expect(found, ctx.label).toBe(e.line.equals);
      }
      return;
    }
    case "contains":
      expect(result.text, ctx.label).toContain(e.text);
      return;
    case "not-contains":
      expect(result.text, ctx.label).not.toContain(e.text);
      return;
    case "partial-restore-fails":
      expect(ctx.ok, ctx.label).toBe(false);
      expect(result.full, ctx.label).toBe(false);
      return;
    case "chain-exists":
      expect(kernel.tables.get(e.table)?.has(e.chain) ?? false, ctx.label).toBe(e.value);
      return;
    case "proxier-state":
      if (e.field === "needFullSync")
        expect(ctx.proxier.needsFullSync(0) !== undefined, ctx.label).toBe(e.value);
      return;
    case "rule-exists": {
      const rules = kernel.tables.get(e.table)?.get(e.chain) ?? [];
      const has = rules.some((r) => r.includes(` -d ${e.match.destinationAddress} `));
      expect(has, ctx.label).toBe(e.value);
      return;
    }
    case "packet-flows": {
      for (const f of e.flows) {
        const got = tracePacket(kernel, ctx.cfg.localAddresses ?? [], f);
        expect({ flow: f.name, output: got.output, masq: got.masq }, ctx.label).toEqual({
          flow: f.name,
          output: f.output,
          masq: f.masq,
        });
      }
      return;
    }
    default:
      throw new Error(`unhandled expectation kind ${e.kind}`);
  }
}

function jumpsConsistent(text: string): boolean {
  const k = newFakeIptables();
  return k.restore(text);
}

interface Packet {
  src: string;
  dst: string;
  proto: string;
  dport: number;
}

function tokens(rule: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  for (let m = re.exec(rule); m; m = re.exec(rule)) out.push(m[1] ?? m[2]!);
  return out;
}

function ipMatches(spec: string, ip: string): boolean {
  const p = parseIP(ip);
  if (!p) return false;
  const c = parseCIDR(spec.includes("/") ? spec : `${spec}/${p.family === "IPv4" ? 32 : 128}`);
  return !!c && cidrContains(c, p);
}

interface TraceState {
  results: string[];
  masq: boolean;
  dnat: string | undefined;
}

/** Runs one chain; returns true if a terminal verdict ended it. */
function runChain(
  tbl: Map<string, string[]>,
  chain: string,
  pkt: Packet,
  local: string[],
  st: TraceState,
  depth = 0,
): boolean {
  if (depth > 20) return false;
  for (const rule of tbl.get(chain) ?? []) {
    const t = tokens(rule).slice(2);
    let matches = true;
    let target = "";
    let toDest = "";
    let probabilistic = false;
    for (let i = 0; i < t.length && matches; i++) {
      let neg = false;
      if (t[i] === "!") {
        neg = true;
        i++;
      }
      const opt = t[i];
      const val = t[i + 1] ?? "";
      const check = (b: boolean) => {
        if (b === neg) matches = false;
      };
      switch (opt) {
        case "-s":
          check(ipMatches(val, pkt.src));
          i++;
          break;
        case "-d":
          check(ipMatches(val, pkt.dst));
          i++;
          break;
        case "-p":
          check(val === pkt.proto);
          i++;
          break;
        case "--dport":
          check(Number(val) === pkt.dport);
          i++;
          break;
        case "--src-type":
          check(local.includes(pkt.src));
          i++;
          break;
        case "--dst-type":
          check(local.includes(pkt.dst));
          i++;
          break;
        case "--rcheck":
        case "--mark":
        case "--ctstate":
          if (opt === "--rcheck") matches = false;
          else {
            matches = false;
            i++;
          }
          break;
        case "--probability":
          probabilistic = true;
          i++;
          break;
        case "-j":
          target = val;
          i++;
          break;
        case "--to-destination":
          toDest = val;
          i++;
          break;
        case "-m":
        case "--comment":
        case "--mode":
        case "--name":
        case "--seconds":
        case "--nfacct-name":
        case "--or-mark":
        case "--xor-mark":
          i++;
          break;
        default:
          break;
      }
    }
    if (!matches || !target) continue;
    if (target === "KUBE-MARK-MASQ") {
      st.masq = true;
      continue;
    }
    if (target === "DNAT") {
      st.results.push(toDest);
      st.dnat ??= toDest;
      return true;
    }
    if (target === "ACCEPT" || target === "DROP" || target === "REJECT") {
      st.results.push(target);
      return true;
    }
    if (target === "RETURN") return false;
    if (target === "MARK" || target === "MASQUERADE") continue;
    const terminal = runChain(tbl, target, pkt, local, st, depth + 1);
    if (terminal && !probabilistic) return true;
  }
  return false;
}

export function tracePacket(
  kernel: FakeIptables,
  local: string[],
  f: Any,
): { output: string; masq: boolean } {
  const pkt: Packet = {
    src: f.sourceIP,
    dst: f.destIP,
    proto: String(f.protocol).toLowerCase(),
    dport: f.destPort,
  };
  const st: TraceState = { results: [], masq: false, dnat: undefined };
  const nat = kernel.tables.get("nat") ?? new Map();
  const filter = kernel.tables.get("filter") ?? new Map();
  runChain(nat, "KUBE-SERVICES", pkt, local, st);
  if (st.dnat) {
    const d = st.dnat;
    const host = d.startsWith("[") ? d.slice(1, d.indexOf("]")) : d.slice(0, d.lastIndexOf(":"));
    pkt.dst = host;
    pkt.dport = Number(d.slice(d.lastIndexOf(":") + 1));
  }
  for (const c of ["KUBE-SERVICES", "KUBE-EXTERNAL-SERVICES", "KUBE-NODEPORTS", "KUBE-PROXY-FIREWALL"]) {
    if (runChain(filter, c, pkt, local, st)) break;
  }
  return { output: st.results.join(", "), masq: st.masq };
}
