/**
 * Turns the flattened pods and nodes of ../shared/fixtures/scheduler (see its
 * README) into core/v1 Pod and Node objects as the API server serves them.
 */
import type { Affinity, Container, Node, Pod, Taint, Toleration } from "../../core/api/mod.ts";

export interface FixtureContainer {
  name?: string;
  image?: string;
  requests?: Record<string, string>;
  restartPolicy?: "Always";
}

export interface FixturePod {
  name?: string;
  nodeName?: string;
  containers?: FixtureContainer[];
  initContainers?: FixtureContainer[];
  overhead?: Record<string, string>;
  resources?: { requests?: Record<string, string> };
  nodeSelector?: Record<string, string>;
  affinity?: Affinity;
  tolerations?: Toleration[];
}

export interface FixtureNode {
  name: string;
  allocatable?: Record<string, string>;
  capacity?: Record<string, string>;
  labels?: Record<string, string>;
  taints?: Taint[];
  images?: { names: string[]; sizeBytes: number }[];
}

function container(c: FixtureContainer, i: number): Container {
  const out: Container = { name: c.name ?? `con${i}` };
  if (c.image) out.image = c.image;
  if (c.requests) out.resources = { requests: { ...c.requests } };
  if (c.restartPolicy) out.restartPolicy = c.restartPolicy;
  return out;
}

export function fixturePod(p: FixturePod, index = 0): Pod {
  const pod: Pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: p.name ?? `pod${index}`, namespace: "default", uid: `uid-${p.name ?? index}` },
    spec: { containers: (p.containers ?? []).map(container) },
  };
  if (p.initContainers) pod.spec.initContainers = p.initContainers.map(container);
  if (p.nodeName) pod.spec.nodeName = p.nodeName;
  if (p.overhead) pod.spec.overhead = { ...p.overhead };
  if (p.resources) pod.spec.resources = { requests: { ...(p.resources.requests ?? {}) } };
  if (p.nodeSelector) pod.spec.nodeSelector = { ...p.nodeSelector };
  if (p.affinity) pod.spec.affinity = p.affinity;
  if (p.tolerations) pod.spec.tolerations = p.tolerations;
  return pod;
}

export function fixtureNode(n: FixtureNode): Node {
  const node: Node = {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name: n.name },
    spec: {},
    status: {
      allocatable: { ...(n.allocatable ?? {}) },
      capacity: { ...(n.capacity ?? n.allocatable ?? {}) },
    },
  };
  if (n.labels) node.metadata.labels = { ...n.labels };
  if (n.taints) node.spec!.taints = n.taints;
  if (n.images) node.status!.images = n.images.map((i) => ({ names: [...i.names], sizeBytes: i.sizeBytes }));
  return node;
}
