import type { Pod, PodSpec } from "../api/mod.ts";
import { podRequest } from "./pod-request.ts";

const cache = new WeakMap<PodSpec, Map<string, number>>();

/** podRequest, remembered per pod spec object (specs are replaced, not edited, when a pod changes). */
export function cachedPodRequest(pod: Pod, resource: string): number {
  let entry = cache.get(pod.spec);
  if (!entry) {
    entry = new Map();
    cache.set(pod.spec, entry);
  }
  let v = entry.get(resource);
  if (v === undefined) {
    v = podRequest(pod, resource);
    entry.set(resource, v);
  }
  return v;
}
