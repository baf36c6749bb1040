/** Core v1 Events, as the kubelet records them (source component "kubelet", host = node name). */
import type { Pod } from "../../core/api/mod.ts";
import type { KubeClient } from "./kube-client.ts";

export interface EventInput {
  involved: Pod;
  type: "Normal" | "Warning";
  reason: string;
  message: string;
}

export async function recordEvent(
  client: KubeClient,
  nodeName: string,
  e: EventInput,
  now: Date,
): Promise<void> {
  const ns = e.involved.metadata.namespace ?? "default";
  const stamp = now.toISOString().replace(/\.\d{3}Z$/, "Z");
  await client.create(`/api/v1/namespaces/${encodeURIComponent(ns)}/events`, {
    apiVersion: "v1",
    kind: "Event",
    metadata: { name: `${e.involved.metadata.name}.${now.getTime().toString(16)}`, namespace: ns },
    involvedObject: {
      apiVersion: "v1",
      kind: "Pod",
      name: e.involved.metadata.name,
      namespace: ns,
      uid: e.involved.metadata.uid,
    },
    type: e.type,
    reason: e.reason,
    message: e.message,
    source: { component: "kubelet", host: nodeName },
    reportingComponent: "kubelet",
    reportingInstance: nodeName,
    firstTimestamp: stamp,
    lastTimestamp: stamp,
    count: 1,
  });
}
