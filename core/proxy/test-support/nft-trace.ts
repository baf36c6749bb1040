/**
 * Packet tracer over an nftables table model, with the semantics of upstream's nftables
 * TestTracePacket (see fixtures README): firewall pre-DNAT, nat-prerouting (DNAT rewrites the
 * destination), then filter-forward and filter-input; probabilistic choices explored exhaustively.
 */
import { cidrContains, parseCIDR, parseIP } from "../ip.ts";
import type { NftState } from "../nft-state.ts";

// biome-ignore lint/suspicious/noExplicitAny: fixture JSON
type Any = any;

interface Pkt {
  src: string;
  dst: string;
  proto: string;
  dport: number;
}
interface St {
  results: string[];
  masq: boolean;
  dnat: string | undefined;
}
type Outcome = "continue" | "return" | "terminal";

function inSpec(k: NftState, spec: string, ip: string): boolean {
  if (spec.startsWith("@")) return k.sets.get(spec.slice(1))?.elements.has(ip) ?? false;
  const items = spec.startsWith("{")
    ? spec
        .slice(1, -1)
        .split(",")
        .map((s) => s.trim())
    : [spec];
  const p = parseIP(ip);
  if (!p) return false;
  return items.some((it) => {
    const c = parseCIDR(it.includes("/") ? it : `${it}/${p.family === "IPv4" ? 32 : 128}`);
    return !!c && cidrContains(c, p);
  });
}

function tokenize(rule: string): string[] {
  const out: string[] = [];
  const re = /"[^"]*"|\{[^}]*\}|\S+/g;
  for (let m = re.exec(rule); m; m = re.exec(rule)) out.push(m[0]);
  return out;
}

function runChain(k: NftState, name: string, pkt: Pkt, local: string[], st: St, depth = 0): Outcome {
  if (depth > 30) return "return";
  if (name === "mark-for-masquerade") {
    st.masq = true;
    return "return";
  }
  const chain = k.chains.get(name);
  if (!chain) return "return";
  for (const rule of chain.rules) {
    const r = runRule(k, rule, pkt, local, st, depth);
    if (r === "terminal") return "terminal";
    if (r === "return") return "return";
  }
  return "return";
}

function verdict(k: NftState, v: string, pkt: Pkt, local: string[], st: St, depth: number): Outcome {
  const [word, target] = v.trim().split(/\s+/);
  if (word === "drop") {
    st.results.push("DROP");
    return "terminal";
  }
  if (word === "accept") {
    st.results.push("ACCEPT");
    return "terminal";
  }
  if (word === "jump")
    return runChain(k, target!, pkt, local, st, depth + 1) === "terminal" ? "terminal" : "continue";
  if (word === "goto")
    return runChain(k, target!, pkt, local, st, depth + 1) === "terminal" ? "terminal" : "return";
  return "continue";
}

function runRule(k: NftState, rule: string, pkt: Pkt, local: string[], st: St, depth: number): Outcome {
  const t = tokenize(rule.replace(/ comment "[^"]*"$/, ""));
  let i = 0;
  while (i < t.length) {
    const w = t[i]!;
    if (w === "ct" && t[i + 1] === "state") {
      i += 3;
      continue;
    }
    if ((w === "ip" || w === "ip6") && (t[i + 1] === "daddr" || t[i + 1] === "saddr")) {
      const field = t[i + 1] === "daddr" ? pkt.dst : pkt.src;
      if (t[i + 2] === "." && t[i + 3] === "meta") {
        // ip daddr . meta l4proto . th dport vmap @map
        const map = t[i + 9]!.slice(1);
        const key = `${field} . ${pkt.proto} . ${pkt.dport}`;
        const body = k.sets.get(map)?.elements.get(key);
        if (body === undefined) return "continue";
        return verdict(k, body.slice(body.lastIndexOf(" : ") + 3), pkt, local, st, depth);
      }
      let neg = false;
      let j = i + 2;
      if (t[j] === "!=") {
        neg = true;
        j++;
      }
      if (inSpec(k, t[j]!, field) === neg) return "continue";
      i = j + 1;
      continue;
    }
    if (w === "meta" && t[i + 1] === "l4proto") {
      if (t[i + 2] === ".") {
        const map = t[i + 6]!.slice(1);
        const body = k.sets.get(map)?.elements.get(`${pkt.proto} . ${pkt.dport}`);
        if (body === undefined) return "continue";
        return verdict(k, body.slice(body.lastIndexOf(" : ") + 3), pkt, local, st, depth);
      }
      if (t[i + 2] !== pkt.proto) return "continue";
      i += 3;
      continue;
    }
    if (w === "fib") {
      const ip = t[i + 1] === "saddr" ? pkt.src : pkt.dst;
      if (!local.includes(ip)) return "continue";
      i += 4;
      continue;
    }
    if (w === "numgen") {
      const m = /\{(.*)\}/.exec(t[i + 5] ?? "");
      let terminal = false;
      for (const opt of (m?.[1] ?? "").split(",")) {
        const v = opt.slice(opt.indexOf(":") + 1);
        if (verdict(k, v, pkt, local, st, depth) === "terminal") terminal = true;
      }
      return terminal ? "terminal" : "return";
    }
    if (w === "dnat") {
      const to = t[i + 2]!;
      st.results.push(to);
      st.dnat ??= to;
      return "terminal";
    }
    if (w === "reject") {
      st.results.push("REJECT");
      return "terminal";
    }
    if (w === "drop" || w === "accept" || w === "jump" || w === "goto")
      return verdict(k, `${w} ${t[i + 1] ?? ""}`, pkt, local, st, depth);
    if (w === "return") return "return";
    if (w === "mark" || w === "masquerade" || w === "update") return "continue";
    return "continue";
  }
  return "continue";
}

export function traceNft(k: NftState, local: string[], f: Any): { output: string; masq: boolean } {
  const pkt: Pkt = {
    src: f.sourceIP,
    dst: f.destIP,
    proto: String(f.protocol).toLowerCase(),
    dport: f.destPort,
  };
  const st: St = { results: [], masq: false, dnat: undefined };
  if (runChain(k, "filter-prerouting-pre-dnat", pkt, local, st) !== "terminal") {
    runChain(k, "nat-prerouting", pkt, local, st);
    if (st.dnat) {
      const d = st.dnat;
      pkt.dst = d.startsWith("[") ? d.slice(1, d.indexOf("]")) : d.slice(0, d.lastIndexOf(":"));
      pkt.dport = Number(d.slice(d.lastIndexOf(":") + 1));
    }
    if (runChain(k, "filter-forward", pkt, local, st) !== "terminal")
      runChain(k, "filter-input", pkt, local, st);
  }
  return { output: st.results.join(", "), masq: st.masq };
}
