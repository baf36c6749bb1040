/** The verbs an extender config serves, by name: decode the wire body, run the verb, encode the result. */

import { CycleBuffers } from "../../core/scheduler/mod.ts";
import { bindVerb } from "./bind-verb.ts";
import type { Binder } from "./binder.ts";
import type { ExtenderConfig } from "./config.ts";
import { filterVerb } from "./filter-verb.ts";
import { preemptVerb } from "./preempt-verb.ts";
import { prioritizeVerb } from "./prioritize-verb.ts";
import type { SnapshotProvider } from "./snapshot-provider.ts";
import type { VerbRoute } from "./verb-reply.ts";
import { decodeBindingArgs, decodeExtenderArgs, decodePreemptionArgs } from "./wire.ts";
import { encodeFilterResult, encodeHostPriorityList } from "./wire-encode.ts";

export function verbRoutes(
  config: ExtenderConfig,
  provider: SnapshotProvider,
  binder: Binder,
): Map<string, VerbRoute> {
  const profile = config.profile;
  // filter and prioritize run one cycle per request, synchronously: one set of cycle buffers serves both.
  const buffers = new CycleBuffers();
  const verbs = new Map<string, VerbRoute>();
  if (config.filterVerb) {
    verbs.set(config.filterVerb, {
      run: (b) => filterVerb(decodeExtenderArgs(b), profile, provider, buffers),
      encode: encodeFilterResult,
    });
  }
  if (config.prioritizeVerb) {
    verbs.set(config.prioritizeVerb, {
      run: (b) => prioritizeVerb(decodeExtenderArgs(b), profile, provider, buffers),
      encode: encodeHostPriorityList,
    });
  }
  if (config.preemptVerb) {
    verbs.set(config.preemptVerb, {
      run: (b) => preemptVerb(decodePreemptionArgs(b), profile, provider),
    });
  }
  if (config.bindVerb) verbs.set(config.bindVerb, { run: (b) => bindVerb(decodeBindingArgs(b), binder) });
  return verbs;
}
