/** Turns the reduced pod shapes of ../shared/fixtures/kubelet into core/api Pods (test helper). */
import type { Container, Pod, ResourceList, Volume } from "../api/mod.ts";

export interface FixtureContainer {
  name: string;
  requests?: ResourceList;
  limits?: ResourceList;
  restartPolicy?: "Always";
}
export interface FixturePod {
  name?: string;
  uid?: string;
  priority?: number;
  priorityClassName?: string;
  containers?: FixtureContainer[];
  initContainers?: FixtureContainer[];
  volumes?: Volume[];
  resources?: { requests?: ResourceList; limits?: ResourceList };
}

function container(c: FixtureContainer): Container {
  const out: Container = { name: c.name };
  if (c.requests || c.limits) {
    out.resources = {};
    if (c.requests) out.resources.requests = c.requests;
    if (c.limits) out.resources.limits = c.limits;
  }
  if (c.restartPolicy) out.restartPolicy = c.restartPolicy;
  return out;
}

export function fixturePod(p: FixturePod): Pod {
  const pod: Pod = {
    metadata: { name: p.name ?? "pod", uid: p.uid ?? p.name ?? "pod", namespace: "default" },
    spec: { containers: (p.containers ?? []).map(container) },
  };
  if (p.initContainers) pod.spec.initContainers = p.initContainers.map(container);
  if (p.volumes) pod.spec.volumes = p.volumes;
  if (p.priority !== undefined) pod.spec.priority = p.priority;
  if (p.priorityClassName) pod.spec.priorityClassName = p.priorityClassName;
  if (p.resources) pod.spec.resources = p.resources;
  return pod;
}

export interface FixtureCase<I = Record<string, unknown>, E = Record<string, unknown>> {
  id: string;
  kind: string;
  input: I;
  expected: E;
  note?: string;
}
export interface FixtureFileData {
  cases: FixtureCase[];
}
