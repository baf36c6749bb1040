/**
 * framework.Resource: the amounts the scheduler adds up per pod and per node.
 * cpu is held in millicores, everything else in base units (bytes, counts).
 */
import type { ResourceList } from "../api/mod.ts";
import { parseQuantity, quantityMilliValue, quantityValue } from "../quantity/mod.ts";

export interface Resource {
  milliCPU: number;
  memory: number;
  ephemeralStorage: number;
  allowedPodNumber: number;
  /** Extended resources, hugepages-*, *.kubernetes.io/* ... */
  scalar: Map<string, number>;
}

export const resourceCPU = "cpu";
export const resourceMemory = "memory";
export const resourceEphemeralStorage = "ephemeral-storage";
export const resourcePods = "pods";

/** schedutil.DefaultMilliCPURequest / DefaultMemoryRequest: what a container without a request counts as for scoring. */
export const defaultMilliCPURequest = 100;
export const defaultMemoryRequest = 200 * 1024 * 1024;

export function emptyResource(): Resource {
  return { milliCPU: 0, memory: 0, ephemeralStorage: 0, allowedPodNumber: 0, scalar: new Map() };
}

export function cloneResource(r: Resource): Resource {
  return {
    milliCPU: r.milliCPU,
    memory: r.memory,
    ephemeralStorage: r.ephemeralStorage,
    allowedPodNumber: r.allowedPodNumber,
    scalar: new Map(r.scalar),
  };
}

/** The amount of one named resource (cpu in millicores). A missing scalar is 0. */
export function resourceGet(r: Resource, name: string): number {
  switch (name) {
    case resourceCPU:
      return r.milliCPU;
    case resourceMemory:
      return r.memory;
    case resourceEphemeralStorage:
      return r.ephemeralStorage;
    case resourcePods:
      return r.allowedPodNumber;
    default:
      return r.scalar.get(name) ?? 0;
  }
}

export function resourceSet(r: Resource, name: string, value: number): void {
  switch (name) {
    case resourceCPU:
      r.milliCPU = value;
      return;
    case resourceMemory:
      r.memory = value;
      return;
    case resourceEphemeralStorage:
      r.ephemeralStorage = value;
      return;
    case resourcePods:
      r.allowedPodNumber = value;
      return;
    default:
      r.scalar.set(name, value);
  }
}

const memo = new Map<string, number>();

/** Parses one quantity into the unit the scheduler uses for that resource (memoised by text). */
export function resourceAmount(name: string, quantity: string | number, field: string): number {
  const cpu = name === resourceCPU;
  const key = `${cpu ? "m" : "v"}${typeof quantity}${quantity}`;
  const hit = memo.get(key);
  if (hit !== undefined) return hit;
  const q = parseQuantity(quantity, field);
  const v = cpu ? quantityMilliValue(q) : quantityValue(q);
  if (memo.size >= 10_000) memo.clear();
  memo.set(key, v);
  return v;
}

/** A ResourceList as a Resource (cpu in millicores). */
export function resourceFromList(list: ResourceList | undefined, field: string): Resource {
  const r = emptyResource();
  if (!list) return r;
  for (const [name, q] of Object.entries(list)) {
    resourceSet(r, name, resourceAmount(name, q, `${field}[${name}]`));
  }
  return r;
}

export function addResource(into: Resource, r: Resource): void {
  into.milliCPU += r.milliCPU;
  into.memory += r.memory;
  into.ephemeralStorage += r.ephemeralStorage;
  into.allowedPodNumber += r.allowedPodNumber;
  for (const [k, v] of r.scalar) into.scalar.set(k, (into.scalar.get(k) ?? 0) + v);
}

export function subtractResource(into: Resource, r: Resource): void {
  into.milliCPU -= r.milliCPU;
  into.memory -= r.memory;
  into.ephemeralStorage -= r.ephemeralStorage;
  into.allowedPodNumber -= r.allowedPodNumber;
  for (const [k, v] of r.scalar) into.scalar.set(k, (into.scalar.get(k) ?? 0) - v);
}

/** Per-resource max, in place. */
export function maxResource(into: Resource, r: Resource): void {
  into.milliCPU = Math.max(into.milliCPU, r.milliCPU);
  into.memory = Math.max(into.memory, r.memory);
  into.ephemeralStorage = Math.max(into.ephemeralStorage, r.ephemeralStorage);
  into.allowedPodNumber = Math.max(into.allowedPodNumber, r.allowedPodNumber);
  for (const [k, v] of r.scalar) into.scalar.set(k, Math.max(into.scalar.get(k) ?? 0, v));
}

/** Whether a resource name is a hugepages-<size> name. */
export function isHugePageResourceName(name: string): boolean {
  return name.startsWith("hugepages-");
}

/** v1helper.IsExtendedResourceName: a domain-prefixed name outside kubernetes.io, not requests.* */
export function isExtendedResourceName(name: string): boolean {
  const slash = name.indexOf("/");
  if (slash < 0) return false;
  const prefix = name.slice(0, slash);
  if (prefix === "kubernetes.io" || prefix.endsWith(".kubernetes.io")) return false;
  return !name.startsWith("requests.");
}
