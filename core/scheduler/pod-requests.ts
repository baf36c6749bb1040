/**
 * resource.PodRequests (component-helpers): what a pod asks for, counting
 * init containers, sidecars (restartable init containers), pod-level
 * resources and pod overhead. With `nonZero`, a container's missing cpu or
 * memory request counts as 100m / 200Mi (the scheduler's scoring defaults).
 */
import type { Container, Pod } from "../api/mod.ts";
import {
  addResource,
  defaultMemoryRequest,
  defaultMilliCPURequest,
  emptyResource,
  isHugePageResourceName,
  maxResource,
  type Resource,
  resourceAmount,
  resourceCPU,
  resourceFromList,
  resourceMemory,
  resourceSet,
} from "./resource.ts";

export interface PodRequestOptions {
  podLevelResources: boolean;
  nonZero: boolean;
}

function containerRequests(c: Container, nonZero: boolean, field: string): Resource {
  const requests = c.resources?.requests;
  const r = resourceFromList(requests, `${field}.resources.requests`);
  if (nonZero) {
    if (!requests || !Object.hasOwn(requests, resourceCPU)) r.milliCPU = defaultMilliCPURequest;
    if (!requests || !Object.hasOwn(requests, resourceMemory)) r.memory = defaultMemoryRequest;
  }
  return r;
}

export function computePodRequests(pod: Pod, options: PodRequestOptions, field = ""): Resource {
  const spec = pod.spec ?? { containers: [] };
  const prefix = field ? `${field}.spec` : "spec";
  const reqs = emptyResource();
  (spec.containers ?? []).forEach((c, i) => {
    addResource(reqs, containerRequests(c, options.nonZero, `${prefix}.containers[${i}]`));
  });
  const sidecars = emptyResource();
  const initMax = emptyResource();
  (spec.initContainers ?? []).forEach((c, i) => {
    const r = containerRequests(c, options.nonZero, `${prefix}.initContainers[${i}]`);
    if (c.restartPolicy === "Always") {
      addResource(reqs, r);
      addResource(sidecars, r);
      maxResource(initMax, sidecars);
    } else {
      addResource(r, sidecars);
      maxResource(initMax, r);
    }
  });
  maxResource(reqs, initMax);
  const podLevel = spec.resources?.requests;
  if (options.podLevelResources && podLevel && Object.keys(podLevel).length > 0) {
    for (const [name, q] of Object.entries(podLevel)) {
      if (name === resourceCPU || name === resourceMemory || isHugePageResourceName(name)) {
        resourceSet(reqs, name, resourceAmount(name, q, `${prefix}.resources.requests[${name}]`));
      }
    }
  }
  if (spec.overhead) addResource(reqs, resourceFromList(spec.overhead, `${prefix}.overhead`));
  return reqs;
}
