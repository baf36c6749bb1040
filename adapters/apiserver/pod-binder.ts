/** Binding a pod to a node through the pods/binding subresource (what kube-scheduler's binder does). */
import type { KubeClient } from "./kube-client.ts";

export interface PodBinder {
  bind(namespace: string, podName: string, uid: string, node: string): Promise<void>;
}

export function createPodBinder(client: KubeClient): PodBinder {
  return {
    async bind(namespace, podName, uid, node) {
      await client.create(
        `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(podName)}/binding`,
        {
          apiVersion: "v1",
          kind: "Binding",
          metadata: { name: podName, namespace, ...(uid ? { uid } : {}) },
          target: { apiVersion: "v1", kind: "Node", name: node },
        },
      );
    },
  };
}
