import type { Container, Pod } from "../api/mod.ts";
import { parseQuantity, quantityValue } from "../quantity/mod.ts";

function request(c: Container, resource: string): number {
  const raw = c.resources?.requests?.[resource];
  return raw === undefined
    ? 0
    : quantityValue(parseQuantity(raw, `${c.name}.resources.requests.${resource}`));
}

/**
 * A pod's effective request of one resource (resourcehelper.PodRequests): the larger of the regular containers'
 * sum (plus sidecars) and the largest init container (plus the sidecars started before it), plus pod overhead.
 * Unknown resources (for example "inodes") request 0.
 */
export function podRequest(pod: Pod, resource: string): number {
  let sidecars = 0;
  let initMax = 0;
  for (const c of pod.spec.initContainers ?? []) {
    const r = request(c, resource);
    if (c.restartPolicy === "Always") {
      sidecars += r;
      initMax = Math.max(initMax, sidecars);
    } else {
      initMax = Math.max(initMax, sidecars + r);
    }
  }
  let sum = sidecars;
  for (const c of pod.spec.containers) sum += request(c, resource);
  const overheadRaw = pod.spec.overhead?.[resource];
  const overhead =
    overheadRaw === undefined ? 0 : quantityValue(parseQuantity(overheadRaw, `spec.overhead.${resource}`));
  return Math.max(sum, initMax) + overhead;
}
