import type { Container, Pod, PodQOSClass, PodSpec, ResourceList } from "../api/mod.ts";
import { addQuantity, compareQuantity, parseQuantity, type Quantity, zeroQuantity } from "../quantity/mod.ts";

/** Only these resources decide the QoS class; hugepages and ephemeral-storage do not. */
const qosResources = ["cpu", "memory"] as const;

export interface QOSOptions {
  /** The PodLevelResources feature gate: when on and `spec.resources` is set, only pod-level values count. */
  podLevelResources?: boolean;
}

function positive(list: ResourceList | undefined, name: string, field: string): Quantity | undefined {
  const raw = list?.[name];
  if (raw === undefined) return undefined;
  const q = parseQuantity(raw, field);
  return compareQuantity(q, zeroQuantity) > 0 ? q : undefined;
}

/**
 * The QoS class of a pod (upstream `ComputePodQOS`): BestEffort when no container sets a non-zero cpu or memory
 * request or limit; Guaranteed when every container limits both cpu and memory and the summed requests equal the
 * summed limits; Burstable otherwise. Regular and init containers count; ephemeral containers do not.
 */
export function computePodQOS(pod: Pod | { spec: PodSpec }, options: QOSOptions = {}): PodQOSClass {
  const spec = pod.spec;
  const requests = new Map<string, Quantity>();
  const limits = new Map<string, Quantity>();
  let isGuaranteed = true;
  const add = (into: Map<string, Quantity>, name: string, q: Quantity) => {
    const prev = into.get(name);
    into.set(name, prev ? addQuantity(prev, q) : q);
  };
  const collect = (list: { requests?: ResourceList; limits?: ResourceList } | undefined, path: string) => {
    const found = new Set<string>();
    for (const name of qosResources) {
      const r = positive(list?.requests, name, `${path}.requests.${name}`);
      if (r) add(requests, name, r);
      const l = positive(list?.limits, name, `${path}.limits.${name}`);
      if (l) {
        add(limits, name, l);
        found.add(name);
      }
    }
    if (!found.has("cpu") || !found.has("memory")) isGuaranteed = false;
  };
  if (options.podLevelResources && spec.resources) {
    collect(spec.resources, "spec.resources");
  } else {
    const all: [Container, string][] = [
      ...spec.containers.map((c, i): [Container, string] => [c, `spec.containers[${i}].resources`]),
      ...(spec.initContainers ?? []).map((c, i): [Container, string] => [
        c,
        `spec.initContainers[${i}].resources`,
      ]),
    ];
    for (const [c, path] of all) collect(c.resources, path);
  }
  if (requests.size === 0 && limits.size === 0) return "BestEffort";
  if (isGuaranteed) {
    for (const [name, req] of requests) {
      const lim = limits.get(name);
      if (!lim || compareQuantity(lim, req) !== 0) {
        isGuaranteed = false;
        break;
      }
    }
  }
  return isGuaranteed && requests.size === limits.size ? "Guaranteed" : "Burstable";
}
