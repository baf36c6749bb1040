/** Upstream's canonical iptables-restore ordering used by its tests (sortIPTablesRules). */
export function sortIptablesRules(text: string): string {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  const out: string[] = [];
  const tables: { name: string; lines: string[] }[] = [];
  let cur: { name: string; lines: string[] } | undefined;
  for (const l of lines) {
    if (l.startsWith("*")) {
      cur = { name: l.slice(1), lines: [] };
      tables.push(cur);
    } else if (l === "COMMIT") cur = undefined;
    else cur?.lines.push(l);
  }
  tables.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const rank = (c: string) =>
    c === "KUBE-NODEPORTS" ? 0 : c === "KUBE-SERVICES" ? 1 : c.startsWith("KUBE-") ? 2 : 3;
  const cmpChain = (a: string, b: string) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);
  for (const t of tables) {
    out.push(`*${t.name}`);
    const decls = t.lines.filter((l) => l.startsWith(":"));
    const chainOf = (l: string) => l.split(" ")[1] ?? "";
    decls.sort((a, b) => cmpChain(a.slice(1).split(" ")[0]!, b.slice(1).split(" ")[0]!));
    out.push(...decls);
    const rules = t.lines.filter((l) => !l.startsWith(":") && !l.startsWith("-X "));
    const byChain = new Map<string, string[]>();
    for (const r of rules) {
      const c = chainOf(r);
      let list = byChain.get(c);
      if (!list) {
        list = [];
        byChain.set(c, list);
      }
      list.push(r);
    }
    const svcName = (r: string) => {
      const m = /--comment "?([^ ":]*)/.exec(r);
      return m ? m[1]! : "";
    };
    for (const c of [...byChain.keys()].sort(cmpChain)) {
      let list = byChain.get(c)!;
      if (
        c === "KUBE-NODEPORTS" ||
        (c === "KUBE-SERVICES" && t.name === "filter") ||
        (c === "KUBE-SERVICES" && t.name === "nat")
      ) {
        const last =
          t.name === "nat" && c === "KUBE-SERVICES"
            ? list.filter((r) => r.includes("must be the last rule"))
            : [];
        const rest = list.filter((r) => !last.includes(r));
        const idx = rest.map((r, i) => [r, i] as const);
        idx.sort((a, b) => {
          const x = svcName(a[0]);
          const y = svcName(b[0]);
          return x < y ? -1 : x > y ? 1 : a[1] - b[1];
        });
        list = [...idx.map(([r]) => r), ...last];
      }
      out.push(...list);
    }
    out.push(...t.lines.filter((l) => l.startsWith("-X ")).sort());
    out.push("COMMIT");
  }
  return out.join("\n");
}
