/**
 * `kite proxy plan` for nftables: reads `nft list table ip kube-proxy` output (or an `add ...` dump),
 * compares it with the desired table, and writes the minimal transaction: element adds/deletes,
 * chains rewritten only where their rules differ, unused service chains flushed (deleted later).
 */
import { invalidArgument } from "../errors/mod.ts";
import { NftState } from "./nft-state.ts";
import type { PlanResult } from "./render.ts";
import type { ProxierConfig } from "./types.ts";

const priorities: Record<string, number> = {
  raw: -300,
  mangle: -150,
  dstnat: -100,
  filter: 0,
  security: 50,
  srcnat: 100,
};

/** Canonical form of a rule as nft prints it or as kube-proxy writes it. */
export function normalizeNftRule(rule: string): string {
  let r = rule.replace(/\s+#\s*handle\s+\d+\s*$/, "").trim();
  r = r.replace(/\bmeta mark\b/g, "mark");
  r = r.replace(
    /mark set mark \| (0x[0-9a-f]+)/g,
    (_, h: string) => `mark set mark or 0x${Number.parseInt(h, 16).toString(16)}`,
  );
  r = r.replace(
    /mark set mark \^ (0x[0-9a-f]+)/g,
    (_, h: string) => `mark set mark xor 0x${Number.parseInt(h, 16).toString(16)}`,
  );
  r = r.replace(
    /mark & (0x[0-9a-f]+) == 0x0+/g,
    (_, h: string) => `mark and 0x${Number.parseInt(h, 16).toString(16)} == 0`,
  );
  r = r.replace(/(0x)0+([0-9a-f])/g, "$1$2");
  r = r.replace(/\{ ([^{},]+) \}/g, (m, inner: string) => (/ : /.test(inner) ? m : inner.trim()));
  r = r.replace(/\s*,\s*/g, " , ");
  r = r.replace(/\s+/g, " ");
  // nft lists anonymous set elements sorted; verdict maps (`k : v`) keep their order.
  r = r.replace(/\{ ([^{}]+) \}/g, (m, inner: string) =>
    inner.includes(" : ")
      ? m
      : `{ ${inner
          .split(" , ")
          .map((x) => x.trim())
          .sort()
          .join(" , ")} }`,
  );
  return r;
}

function normalizeChainSpec(spec: string): string {
  const m = /type (\w+) hook (\w+) priority ([^;]+);/.exec(spec);
  if (!m) return spec.includes("comment") ? spec : "";
  let prio = m[3]!.trim();
  const named = /^([a-z]+)\s*([+-])?\s*(\d+)?$/.exec(prio);
  if (named && priorities[named[1]!] !== undefined)
    prio = String(
      priorities[named[1]!]! + (named[2] ? (named[2] === "-" ? -1 : 1) * Number(named[3] ?? 0) : 0),
    );
  return `{ type ${m[1]} hook ${m[2]} priority ${prio} ; }`;
}

/** Parses `nft list table <family> kube-proxy` output into a table model. */
export function parseNftList(text: string, family = "ip"): NftState {
  if (typeof text !== "string") throw invalidArgument("current", "must be text (nft list table output)");
  if (/^\s*add table /m.test(text)) {
    const s = new NftState(family, "kube-proxy");
    s.applyTransaction(text);
    return s;
  }
  const s = new NftState(family, "kube-proxy");
  const lines = text.split("\n").map((l) => l.trim());
  let i = 0;
  const next = () => lines[i++] ?? "";
  while (i < lines.length) {
    const l = next();
    if (l.startsWith("table ")) {
      s.tableSpec = '{ comment "rules for kube-proxy" ; }';
      continue;
    }
    const block = /^(chain|set|map) (\S+) \{$/.exec(l);
    if (!block) continue;
    const kind = block[1]!;
    const name = block[2]!;
    const body: string[] = [];
    for (let depth = 1; i < lines.length; ) {
      const b = next();
      if (b === "}") {
        depth--;
        if (depth === 0) break;
      }
      body.push(b);
    }
    if (kind === "chain") {
      const hook = body.find((b) => b.startsWith("type "));
      const comment = body.find((b) => b.startsWith("comment "));
      const spec = hook
        ? normalizeChainSpec(`${hook.replace(/policy \w+;/, "")}`)
        : comment
          ? `{ ${comment} ; }`
          : "";
      const rules = body.filter(
        (b) => b && !b.startsWith("type ") && !b.startsWith("comment ") && !b.startsWith("policy "),
      );
      s.chains.set(name, { spec, rules: rules.map(normalizeNftRule) });
    } else {
      const elements = new Map<string, string>();
      const joined = body.join(" ");
      const em = /elements = \{(.*)\}\s*$/.exec(joined);
      if (em) {
        for (const raw of em[1]!.split(/,(?![^{]*\})/)) {
          const e = raw.trim().replace(/\s+/g, " ");
          if (!e) continue;
          const key = e.split(/ comment "| : /)[0]!.trim();
          elements.set(key, e);
        }
      }
      s.sets.set(name, { kind: kind as "set" | "map", spec: "", elements });
    }
  }
  return s;
}

export function planNftables(config: ProxierConfig, desiredText: string, current: string): PlanResult {
  const family = config.ipFamily === "IPv6" ? "ip6" : "ip";
  const p = `${family} kube-proxy`;
  const want = new NftState(family, "kube-proxy");
  want.applyTransaction(desiredText);
  const have = parseNftList(current, family);
  const tx: string[] = [];
  const summary: string[] = [];
  let chainsChanged = 0;
  let chainsDeleted = 0;
  let elementsAdded = 0;
  let elementsDeleted = 0;
  if (have.tableSpec === undefined) {
    return {
      text: desiredText,
      summary: [`+ table ${p} (everything)`],
      chainsChanged: want.chains.size,
      chainsDeleted: 0,
      elementsAdded: [...want.sets.values()].reduce((n, s) => n + s.elements.size, 0),
      elementsDeleted: 0,
    };
  }
  for (const [name, set] of want.sets) {
    const h = have.sets.get(name);
    if (!h) {
      tx.push(`add ${set.kind} ${p} ${name} ${set.spec}`);
      summary.push(`+ ${set.kind} ${name}`);
    }
    const hEl = h?.elements ?? new Map<string, string>();
    for (const [k, body] of hEl)
      if (normalizeNftRule(set.elements.get(k) ?? "") !== normalizeNftRule(body)) {
        tx.push(`delete element ${p} ${name} { ${k} }`);
        elementsDeleted++;
      }
    for (const [k, body] of set.elements)
      if (normalizeNftRule(hEl.get(k) ?? "") !== normalizeNftRule(body)) {
        tx.push(`add element ${p} ${name} { ${body} }`);
        elementsAdded++;
      }
  }
  for (const [name, chain] of want.chains) {
    const h = have.chains.get(name);
    const same =
      h !== undefined &&
      h.rules.length === chain.rules.length &&
      h.rules.every((r, i) => normalizeNftRule(r) === normalizeNftRule(chain.rules[i]!));
    if (same) continue;
    tx.push(`add chain ${p} ${name}${chain.spec ? ` ${chain.spec}` : ""}`, `flush chain ${p} ${name}`);
    for (const r of chain.rules) tx.push(`add rule ${p} ${name} ${r}`);
    summary.push(`${h ? "~" : "+"} chain ${name} (${chain.rules.length} rules)`);
    chainsChanged++;
  }
  for (const name of have.chains.keys()) {
    if (want.chains.has(name) || !name.includes("/")) continue;
    tx.push(`flush chain ${p} ${name}`);
    summary.push(`- chain ${name} (flushed now, delete after 1 s)`);
    chainsDeleted++;
  }
  return {
    text: tx.length ? `${tx.join("\n")}\n` : "",
    summary,
    chainsChanged,
    chainsDeleted,
    elementsAdded,
    elementsDeleted,
  };
}
