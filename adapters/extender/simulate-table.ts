/** The human-readable form of a simulation: one row per node with its filter verdict and weighted scores. */
import type { SchedulingResult } from "../../core/scheduler/mod.ts";

function pad(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows)
    r.forEach((c, i) => {
      widths[i] = Math.max(widths[i] ?? 0, c.length);
    });
  return rows
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

export function renderSimulationTable(r: SchedulingResult): string {
  const plugins: { name: string; weight: number }[] = [];
  for (const n of r.nodes) {
    for (const s of n.scores ?? []) {
      if (!plugins.some((p) => p.name === s.plugin)) plugins.push({ name: s.plugin, weight: s.weight });
    }
  }
  const header = ["", "NODE", "FILTER", ...plugins.map((p) => `${p.name}(x${p.weight})`), "TOTAL"];
  const rows: string[][] = [header];
  const order = [...r.nodes].sort((a, b) => {
    const ta = a.total ?? -1;
    const tb = b.total ?? -1;
    return tb - ta || (a.node < b.node ? -1 : a.node > b.node ? 1 : 0);
  });
  for (const n of order) {
    const verdict =
      n.filter.code === "Success"
        ? "passed"
        : `${n.filter.plugin ?? ""}: ${n.filter.reasons.join("; ")}${n.filter.code === "UnschedulableAndUnresolvable" ? " (unresolvable)" : ""}`;
    const cells = plugins.map((p) => {
      const s = n.scores?.find((x) => x.plugin === p.name);
      if (!s) return "-";
      return s.raw === s.normalized ? `${s.weighted}` : `${s.weighted} (raw ${s.raw})`;
    });
    rows.push([
      n.node === r.selectedNode ? "*" : "",
      n.node || '""',
      verdict,
      ...cells,
      n.total === undefined ? "-" : `${n.total}`,
    ]);
  }
  const lines = [
    `pod ${r.pod}: ${r.selectedNode ? `schedule on ${r.selectedNode}` : "no node fits"} (${r.feasibleNodes}/${r.nodes.length} nodes passed the filters)`,
  ];
  if (r.message) lines.push(r.message);
  for (const p of r.preFilter) {
    if (p.code === "Skip") continue;
    lines.push(
      `PreFilter ${p.plugin}: ${p.code}${p.reasons.length ? ` (${p.reasons.join("; ")})` : ""}${p.nodeNames ? ` nodes=${p.nodeNames.join(",")}` : ""}`,
    );
  }
  const skipped = r.preScore.filter((p) => p.code === "Skip").map((p) => p.plugin);
  if (skipped.length > 0) lines.push(`not scoring (PreScore Skip): ${skipped.join(", ")}`);
  lines.push("", pad(rows));
  lines.push(
    "",
    "Scores are normalized score x weight; (raw n) shows the plugin's score before NormalizeScore.",
  );
  return `${lines.join("\n")}\n`;
}
