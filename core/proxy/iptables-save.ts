/**
 * Parses `iptables-save` output (or iptables-restore input) into tables → chains → rules,
 * and normalises rules so that a rule as kube-proxy writes it and as iptables-save prints it
 * compare equal (option order, `/32` suffixes, probability digits, quoting).
 */
import { invalidArgument } from "../errors/mod.ts";

export interface SavedTable {
  /** Chain → rules (`-A` lines, in order). Declared chains without rules have []. */
  chains: Map<string, string[]>;
}

export function parseIptablesSave(text: string): Map<string, SavedTable> {
  if (typeof text !== "string") throw invalidArgument("current", "must be text (iptables-save output)");
  const tables = new Map<string, SavedTable>();
  let cur: SavedTable | undefined;
  const lines = text.split("\n");
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    if (line.startsWith("*")) {
      cur = { chains: new Map() };
      tables.set(line.slice(1), cur);
      return;
    }
    if (line === "COMMIT") {
      cur = undefined;
      return;
    }
    if (!cur) throw invalidArgument(`current[line ${i + 1}]`, `rule outside a table: "${line}"`);
    if (line.startsWith(":")) {
      const name = line.slice(1).split(/\s+/)[0] ?? "";
      if (!cur.chains.has(name)) cur.chains.set(name, []);
      return;
    }
    if (line.startsWith("-A ")) {
      const name = line.slice(3).split(/\s+/)[0] ?? "";
      let rules = cur.chains.get(name);
      if (!rules) {
        rules = [];
        cur.chains.set(name, rules);
      }
      rules.push(line);
      return;
    }
    if (line.startsWith("-X ")) {
      cur.chains.delete(line.slice(3).trim());
      return;
    }
    throw invalidArgument(`current[line ${i + 1}]`, `unrecognised line: "${line}"`);
  });
  return tables;
}

function tokenize(s: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    while (s[i] === " ") i++;
    if (i >= s.length) break;
    if (s[i] === '"') {
      let j = i + 1;
      let tok = "";
      while (j < s.length && s[j] !== '"') {
        if (s[j] === "\\" && j + 1 < s.length) j++;
        tok += s[j];
        j++;
      }
      out.push(tok);
      i = j + 1;
    } else {
      let j = i;
      while (j < s.length && s[j] !== " ") j++;
      out.push(s.slice(i, j));
      i = j;
    }
  }
  return out;
}

/** Canonical form of one `-A CHAIN ...` rule for comparisons. */
export function normalizeRule(rule: string): string {
  const toks = tokenize(rule);
  const groups: string[] = [];
  let cur: string[] = [];
  let negate = false;
  const flush = () => {
    if (cur.length) groups.push(cur.join(" "));
    cur = [];
  };
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i]!;
    if (t === "!") {
      flush();
      negate = true;
      continue;
    }
    if (t.startsWith("-") && !/^-[0-9]/.test(t)) {
      flush();
      cur.push(negate ? `! ${t}` : t);
      negate = false;
      continue;
    }
    let v = t;
    const opt = cur[0]?.replace(/^! /, "");
    if (
      (opt === "-s" || opt === "-d" || opt === "--source" || opt === "--destination") &&
      /\/(32|128)$/.test(v)
    )
      v = v.replace(/\/(32|128)$/, "");
    if (opt === "--probability") v = Number(v).toFixed(10);
    if (negate) {
      cur.push(`! ${v}`);
      negate = false;
    } else cur.push(v);
  }
  flush();
  // Module loads (`-m tcp`, `-m comment`) carry no meaning on their own here; the options do. Defaults
  // iptables-save spells out (`--mask 255.255.255.255 --rsource` of -m recent) go, and the MARK shorthands
  // become the --set-xmark form iptables-save prints.
  const kept = groups
    .filter((g) => !g.startsWith("-m ") && !g.startsWith("--match "))
    .filter(
      (g) =>
        g !== "--rsource" &&
        g !== "--mask 255.255.255.255" &&
        g !== "--mask ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" &&
        g !== "--reject-with icmp-port-unreachable" &&
        g !== "--reject-with icmp6-port-unreachable",
    )
    .map((g) => {
      const or = /^--or-mark (\S+)$/.exec(g);
      if (or) return `--set-xmark ${or[1]}/${or[1]}`;
      const xor = /^--xor-mark (\S+)$/.exec(g);
      if (xor) return `--set-xmark ${xor[1]}/0x0`;
      return g;
    });
  const head = kept.filter((g) => g.startsWith("-A "));
  const jump = kept.filter(
    (g) =>
      g.startsWith("-j ") ||
      g.startsWith("--to-destination") ||
      g.startsWith("--set-xmark") ||
      g.startsWith("--or-mark") ||
      g.startsWith("--xor-mark"),
  );
  const rest = kept.filter((g) => !head.includes(g) && !jump.includes(g)).sort();
  return [...head, ...rest, ...jump].join(" ");
}
