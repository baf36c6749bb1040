/**
 * A model of one nftables table as kube-proxy uses it: chains with rules, sets and maps with
 * elements. It applies transactions written in `nft -f` syntax (the subset kube-proxy writes) and
 * dumps itself as `add ...` lines (the form knftables' fake dumps and `nft -f` accepts).
 */
import { invalidArgument } from "../errors/mod.ts";

export interface NftChain {
  /** Text after the chain name (`{ type filter hook input priority 0 ; }` or a comment block), or "". */
  spec: string;
  rules: string[];
}

export interface NftSet {
  kind: "set" | "map";
  spec: string;
  /** element key text → element body (`key [comment "..."] [: value]`). */
  elements: Map<string, string>;
}

/** Key part of an element body: everything before ` comment "` or ` : `. */
export function elementKey(body: string): string {
  let end = body.length;
  const c = body.indexOf(' comment "');
  if (c >= 0) end = c;
  const v = body.indexOf(" : ");
  if (v >= 0 && v < end) end = v;
  return body.slice(0, end).trim();
}

/** A change to the table model, recorded alongside the transaction text it corresponds to. */
export type NftModelOp =
  | { t: "flushTable" }
  | { t: "elemAdd"; set: string; key: string; body: string }
  | { t: "elemDel"; set: string; key: string }
  | { t: "addSet"; name: string; spec: string }
  | { t: "delSet"; name: string }
  | { t: "writeChain"; name: string; rules: readonly string[] }
  | { t: "flushChain"; name: string }
  | { t: "delChain"; name: string };

export class NftState {
  readonly family: string;
  readonly table: string;
  tableSpec: string | undefined;
  chains = new Map<string, NftChain>();
  sets = new Map<string, NftSet>();

  constructor(family = "ip", table = "kube-proxy") {
    this.family = family;
    this.table = table;
  }

  clone(): NftState {
    const s = new NftState(this.family, this.table);
    s.tableSpec = this.tableSpec;
    for (const [n, c] of this.chains) s.chains.set(n, { spec: c.spec, rules: [...c.rules] });
    for (const [n, set] of this.sets)
      s.sets.set(n, { kind: set.kind, spec: set.spec, elements: new Map(set.elements) });
    return s;
  }

  /** Applies a transaction; throws KiteError naming the line when it cannot apply (like `nft -f`, nothing changes). */
  applyTransaction(text: string, options: { trusted?: boolean } = {}): void {
    if (options.trusted) {
      // The proxier's own transactions, already applied by the kernel: no copy, no reference checks.
      this.#trusted = true;
      try {
        for (const line of text.split("\n")) {
          const l = line.trim();
          if (l === "" || l.startsWith("#")) continue;
          this.#apply(l);
        }
      } finally {
        this.#trusted = false;
      }
      return;
    }
    const work = this.clone();
    text.split("\n").forEach((line, i) => {
      const l = line.trim();
      if (l === "" || l.startsWith("#")) return;
      const err = work.#apply(l);
      if (err) throw invalidArgument(`transaction[line ${i + 1}]`, `${err}: ${l}`);
    });
    this.tableSpec = work.tableSpec;
    this.chains = work.chains;
    this.sets = work.sets;
  }

  #apply(l: string): string | undefined {
    // Word by word with indexOf: rules can be long, and this runs for every line the proxier writes.
    const s1 = l.indexOf(" ");
    const s2 = l.indexOf(" ", s1 + 1);
    const verb = l.slice(0, s1);
    const obj = l.slice(s1 + 1, s2);
    const head = ` ${this.family} ${this.table}`;
    if (
      s1 < 0 ||
      s2 < 0 ||
      !l.startsWith(head, s2) ||
      (l.length > s2 + head.length && l[s2 + head.length] !== " ")
    )
      return "other table";
    const restStart = s2 + head.length + 1;
    const s3 = l.indexOf(" ", restStart);
    const name = restStart >= l.length ? "" : l.slice(restStart, s3 < 0 ? l.length : s3);
    const after = s3 < 0 ? "" : l.slice(s3 + 1).trim();
    switch (`${verb} ${obj}`) {
      case "add table":
        this.tableSpec = restStart >= l.length ? "" : l.slice(restStart).trim();
        return;
      case "flush table":
        for (const c of this.chains.values()) c.rules = [];
        for (const s of this.sets.values()) s.elements.clear();
        return;
      case "delete table":
        this.tableSpec = undefined;
        this.chains.clear();
        this.sets.clear();
        return;
      case "add chain":
        if (!this.tableSpec) return "no table";
        if (!this.chains.has(name)) this.chains.set(name, { spec: after, rules: [] });
        return;
      case "flush chain": {
        const c = this.chains.get(name);
        if (!c) return "no such chain";
        c.rules = [];
        return;
      }
      case "delete chain": {
        if (!this.chains.has(name)) return "no such chain";
        if (this.#referenced(name)) return "chain is in use";
        this.chains.delete(name);
        return;
      }
      case "add rule": {
        const c = this.chains.get(name);
        if (!c) return "no such chain";
        c.rules.push(after);
        return;
      }
      case "add set":
      case "add map":
        if (!this.tableSpec) return "no table";
        if (!this.sets.has(name))
          this.sets.set(name, { kind: obj as "set" | "map", spec: after, elements: new Map() });
        return;
      case "flush set":
      case "flush map": {
        const s = this.sets.get(name);
        if (!s) return "no such set";
        s.elements.clear();
        return;
      }
      case "delete set":
      case "delete map":
        if (!this.sets.delete(name)) return "no such set";
        return;
      case "add element":
      case "delete element": {
        const s = this.sets.get(name);
        if (!s) return "no such set";
        const m = /^\{ (.*) \}$/.exec(after);
        if (!m) return "bad element";
        const body = m[1]!;
        const key = elementKey(body);
        if (verb === "delete") {
          if (!s.elements.delete(key)) return "no such element";
          return;
        }
        const old = s.elements.get(key);
        if (old !== undefined && old !== body && s.kind === "map") return "element exists with another value";
        s.elements.set(key, body);
        return;
      }
      default:
        return "unsupported statement";
    }
  }

  #trusted = false;

  /** Applies recorded operations (the proxier's own, already applied by the kernel) without parsing text. */
  applyOps(ops: readonly NftModelOp[]): void {
    for (const o of ops) {
      switch (o.t) {
        case "flushTable":
          for (const c of this.chains.values()) c.rules = [];
          for (const set of this.sets.values()) set.elements.clear();
          break;
        case "elemAdd":
          this.sets.get(o.set)?.elements.set(o.key, o.body);
          break;
        case "elemDel":
          this.sets.get(o.set)?.elements.delete(o.key);
          break;
        case "addSet":
          if (!this.sets.has(o.name))
            this.sets.set(o.name, { kind: "set", spec: o.spec, elements: new Map() });
          break;
        case "delSet":
          this.sets.delete(o.name);
          break;
        case "writeChain": {
          const c = this.chains.get(o.name);
          if (c) c.rules = [...o.rules];
          else this.chains.set(o.name, { spec: "", rules: [...o.rules] });
          break;
        }
        case "flushChain": {
          const c = this.chains.get(o.name);
          if (c) c.rules = [];
          break;
        }
        case "delChain":
          this.chains.delete(o.name);
          break;
      }
    }
  }

  #referenced(chain: string): boolean {
    if (this.#trusted) return false;
    const re = new RegExp(`(goto|jump) ${chain.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}( |$)`);
    for (const [n, c] of this.chains) if (n !== chain && c.rules.some((r) => re.test(r))) return true;
    for (const s of this.sets.values()) for (const e of s.elements.values()) if (re.test(e)) return true;
    return false;
  }

  /** The table as `add ...` lines. */
  dump(): string {
    const p = `${this.family} ${this.table}`;
    const out: string[] = [];
    if (this.tableSpec === undefined) return "";
    out.push(`add table ${p}${this.tableSpec ? ` ${this.tableSpec}` : ""}`);
    for (const [n, c] of this.chains) out.push(`add chain ${p} ${n}${c.spec ? ` ${c.spec}` : ""}`);
    for (const [n, s] of this.sets) out.push(`add ${s.kind} ${p} ${n}${s.spec ? ` ${s.spec}` : ""}`);
    for (const [n, c] of this.chains) for (const r of c.rules) out.push(`add rule ${p} ${n} ${r}`);
    for (const [n, s] of this.sets)
      for (const e of s.elements.values()) out.push(`add element ${p} ${n} { ${e} }`);
    return `${out.join("\n")}\n`;
  }
}

/** Upstream's canonical ordering of nft dumps/transactions (sortNFTablesTransaction), for comparisons. */
export function sortNftLines(text: string): string {
  const lines = text.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("#"));
  const rank: Record<string, number> = { table: 0, chain: 1, rule: 2, set: 3, map: 4, element: 5 };
  const idx = lines.map((l, i) => ({ l, i, w: l.split(" ") }));
  idx.sort((a, b) => {
    const ra = rank[a.w[1] ?? ""] ?? 9;
    const rb = rank[b.w[1] ?? ""] ?? 9;
    if (ra !== rb) return ra - rb;
    const na = a.w[4] ?? "";
    const nb = b.w[4] ?? "";
    if (na !== nb) return na < nb ? -1 : 1;
    if (a.w[1] === "rule") return a.i - b.i;
    return a.l < b.l ? -1 : a.l > b.l ? 1 : a.i - b.i;
  });
  return idx.map((x) => x.l).join("\n");
}
