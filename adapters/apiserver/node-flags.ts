/**
 * The kubelet flags of cluster mode that carry structured values:
 * --node-labels k=v,..., --register-with-taints key[=value]:Effect,..., --kube-reserved / --system-reserved
 * name=quantity,..., and the hard eviction thresholds as reserved quantities for allocatable.
 */
import type { ResourceList, Taint, TaintEffect } from "../../core/api/mod.ts";
import { invalidArgument } from "../../core/errors/mod.ts";
import { labelKeyError, labelValueError } from "../../core/labels/mod.ts";
import { formatQuantity, parseQuantity, quantityFromInt, quantityValue } from "../../core/quantity/mod.ts";

function items(text: string): string[] {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

export function parseNodeLabels(text: string, field = "--node-labels"): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items(text)) {
    const i = item.indexOf("=");
    if (i <= 0) throw invalidArgument(field, `${JSON.stringify(item)} is not key=value`);
    const key = item.slice(0, i);
    const value = item.slice(i + 1);
    const ke = labelKeyError(key);
    if (ke) throw invalidArgument(field, `invalid label key ${JSON.stringify(key)}: ${ke}`);
    const ve = labelValueError(value);
    if (ve) throw invalidArgument(field, `invalid label value ${JSON.stringify(value)}: ${ve}`);
    out[key] = value;
  }
  return out;
}

const effects: TaintEffect[] = ["NoSchedule", "PreferNoSchedule", "NoExecute"];

export function parseTaints(text: string, field = "--register-with-taints"): Taint[] {
  return items(text).map((item) => {
    const colon = item.lastIndexOf(":");
    if (colon <= 0) throw invalidArgument(field, `${JSON.stringify(item)} is not key[=value]:Effect`);
    const effect = item.slice(colon + 1) as TaintEffect;
    if (!effects.includes(effect))
      throw invalidArgument(
        field,
        `invalid taint effect ${JSON.stringify(effect)}, must be one of ${effects.join(", ")}`,
      );
    const kv = item.slice(0, colon);
    const eq = kv.indexOf("=");
    const key = eq >= 0 ? kv.slice(0, eq) : kv;
    const value = eq >= 0 ? kv.slice(eq + 1) : undefined;
    const ke = labelKeyError(key);
    if (ke) throw invalidArgument(field, `invalid taint key ${JSON.stringify(key)}: ${ke}`);
    if (value !== undefined) {
      const ve = labelValueError(value);
      if (ve) throw invalidArgument(field, `invalid taint value ${JSON.stringify(value)}: ${ve}`);
    }
    return value !== undefined && value !== "" ? { key, value, effect } : { key, effect };
  });
}

export function parseReserved(text: string, field: string): ResourceList {
  const out: ResourceList = {};
  for (const item of items(text)) {
    const i = item.indexOf("=");
    if (i <= 0) throw invalidArgument(field, `${JSON.stringify(item)} is not resource=quantity`);
    const name = item.slice(0, i);
    if (!["cpu", "memory", "ephemeral-storage", "pid"].includes(name)) {
      throw invalidArgument(
        field,
        `unsupported resource ${JSON.stringify(name)} (cpu, memory, ephemeral-storage, pid)`,
      );
    }
    const q = parseQuantity(item.slice(i + 1), `${field}.${name}`);
    if (q.unscaled < 0n) throw invalidArgument(`${field}.${name}`, "must not be negative");
    out[name] = formatQuantity(q);
  }
  return out;
}

/** Hard eviction thresholds that reduce allocatable: memory.available → memory, nodefs.available → ephemeral-storage. */
export function evictionReservation(
  evictionHard: Record<string, string>,
  capacity: ResourceList,
): ResourceList {
  const out: ResourceList = {};
  const map: Record<string, string> = {
    "memory.available": "memory",
    "nodefs.available": "ephemeral-storage",
  };
  for (const [signal, value] of Object.entries(evictionHard)) {
    const resource = map[signal];
    if (!resource) continue;
    const v = value.trim();
    if (v.endsWith("%")) {
      const pct = Number(v.slice(0, -1));
      const cap = capacity[resource];
      if (!Number.isFinite(pct) || cap === undefined) continue;
      out[resource] = formatQuantity(
        quantityFromInt(Math.floor((quantityValue(parseQuantity(cap)) * pct) / 100), "BinarySI"),
      );
    } else {
      out[resource] = formatQuantity(parseQuantity(v, `evictionHard.${signal}`));
    }
  }
  return out;
}
