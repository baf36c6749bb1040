/** Every iptables fixture case (../shared/fixtures/proxy/ipt-*.json) through the public API. */

import { loadFixtureFiles } from "../../test/fixtures.ts";
import { describe, expect, it } from "../../test/harness.ts";
import { createProxier } from "./mod.ts";
import {
  checkIptablesExpectation,
  type FakeIptables,
  newFakeIptables,
} from "./test-support/iptables-checks.ts";
import { toConfig, toEvent } from "./test-support/neutral.ts";

// biome-ignore lint/suspicious/noExplicitAny: fixture JSON
type Any = any;

// ipt-compute-probability is a function-level case; shared-fixtures.test.ts runs it.
const files = (await loadFixtureFiles("proxy")).filter(
  (f) => f.name.startsWith("proxy/ipt-") && f.name !== "proxy/ipt-compute-probability.json",
);

describe("iptables fixtures", () => {
  it("found the fixture files", () => {
    expect(files.length).toBeGreaterThan(0);
  });
  for (const file of files) {
    const data = file.data as Any;
    for (const c of data.cases as Any[]) {
      it(`${data.id}: ${c.name}`, () => runCase(data, c));
    }
  }
});

function runCase(data: Any, c: Any): void {
  const pc = { ...data.proxierConfig, ...(c.proxierConfigOverrides ?? {}) };
  const proxier = createProxier(toConfig("iptables", pc));
  const kernel: FakeIptables = newFakeIptables();
  const metrics = new Map<string, number>();
  let now = 1_000_000;
  c.steps.forEach((step: Any, si: number) => {
    now += 1000;
    for (const ch of step.changes ?? []) {
      const ev = toEvent(ch);
      if (ev) proxier.handle(ev);
    }
    if (step.proxierStateBeforeSync?.lastIPTablesCleanup) {
      const v = String(step.proxierStateBeforeSync.lastIPTablesCleanup);
      (proxier.backend as Any).setLastCleanup(v === "now" ? now : now - proxier.config.syncPeriodMs - 1);
    }
    if (step.externalMutationBeforeSync) {
      const m = step.externalMutationBeforeSync;
      kernel.append(m.table, m.chain, `-A ${m.chain} ${m.appendRule}`);
    }
    if (step.sync === "none") return;
    const result = proxier.sync({ now, forceFull: step.sync === "forceFullSync" });
    const ok = kernel.restore(result.text);
    proxier.applied(result.id, ok);
    const prev = new Map(metrics);
    // Upstream updates the rule-count gauges only after a successful restore.
    if (ok) {
      metrics.set("kubeproxy_sync_proxy_rules_iptables_total{nat}", result.iptablesRulesTotal.nat ?? 0);
      metrics.set("kubeproxy_sync_proxy_rules_iptables_last{nat}", result.iptablesRulesLast.nat ?? 0);
    }
    metrics.set(
      "kubeproxy_sync_proxy_rules_no_local_endpoints_total{internal}",
      result.noLocalEndpoints.internal,
    );
    metrics.set(
      "kubeproxy_sync_proxy_rules_no_local_endpoints_total{external}",
      result.noLocalEndpoints.external,
    );
    const failures =
      (prev.get("kubeproxy_sync_proxy_rules_iptables_partial_restore_failures_total") ?? 0) +
      (!ok && !result.full ? 1 : 0);
    metrics.set("kubeproxy_sync_proxy_rules_iptables_partial_restore_failures_total", failures);
    for (const e of step.expect ?? []) {
      checkIptablesExpectation(e, {
        result,
        ok,
        kernel,
        proxier,
        metrics,
        prev,
        cfg: pc,
        label: `step ${si}`,
      });
    }
  });
}
