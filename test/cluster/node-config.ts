/** The node kite registers in the cluster tests. */
import type { NodeConfig } from "../../adapters/apiserver/node-object.ts";

export const nodeConfig: NodeConfig = {
  nodeName: "kite-n1",
  labels: { "node-role.kubernetes.io/worker": "" },
  taints: [{ key: "dedicated", value: "kite", effect: "NoSchedule" }],
  capacity: { cpu: "4", memory: "8Gi", pods: "110", "ephemeral-storage": "100Gi" },
  kubeReserved: { cpu: "100m", memory: "256Mi" },
  systemReserved: { cpu: "100m", memory: "256Mi" },
  evictionHard: { memory: "100Mi", "ephemeral-storage": "10Gi" },
  addresses: [
    { type: "InternalIP", address: "10.0.0.5" },
    { type: "Hostname", address: "kite-n1" },
  ],
  nodeInfo: {
    machineID: "m",
    systemUUID: "s",
    bootID: "b",
    kernelVersion: "6.1.0",
    osImage: "Debian GNU/Linux 12",
    containerRuntimeVersion: "containerd://1.6.20",
    kubeletVersion: "v1.31.0-kite",
    kubeProxyVersion: "",
    operatingSystem: "linux",
    architecture: "amd64",
  },
};
