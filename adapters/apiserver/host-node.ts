/** The Node description of this machine: capacity, addresses and nodeInfo, from /proc, /etc and statfs. */
import { existsSync, readFileSync, statfsSync } from "node:fs";
import { arch, cpus, release, totalmem } from "node:os";
import { dirname } from "node:path";
import type { NodeAddress, NodeSystemInfo, ResourceList, Taint } from "../../core/api/mod.ts";
import { formatQuantity, quantityFromInt } from "../../core/quantity/mod.ts";
import { evictionReservation } from "./node-flags.ts";
import type { NodeConfig } from "./node-object.ts";

const read = (path: string) => {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return "";
  }
};

const goArch: Record<string, string> = {
  x64: "amd64",
  arm64: "arm64",
  arm: "arm",
  ppc64: "ppc64le",
  s390x: "s390x",
  riscv64: "riscv64",
};

export interface HostNodeOptions {
  nodeName: string;
  nodeIp: string;
  rootDir: string;
  maxPods: number;
  port: number;
  kubeletVersion: string;
  /** e.g. containerd://1.6.20 (from the CRI Version call). */
  containerRuntimeVersion: string;
  labels?: Record<string, string>;
  taints?: Taint[];
  kubeReserved?: ResourceList;
  systemReserved?: ResourceList;
  evictionHard?: Record<string, string>;
}

export function hostNodeConfig(o: HostNodeOptions): NodeConfig {
  // The root dir may not exist yet on a first start: measure the filesystem it will live on.
  let dir = o.rootDir;
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  const fs = statfsSync(dir);
  const capacity: ResourceList = {
    cpu: String(cpus().length),
    memory: formatQuantity(quantityFromInt(Math.floor(totalmem() / 1024) * 1024, "BinarySI")),
    pods: String(o.maxPods),
    "ephemeral-storage": formatQuantity(quantityFromInt(fs.blocks * fs.bsize, "BinarySI")),
  };
  const osRelease = read("/etc/os-release");
  const pretty = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(osRelease)?.[1] ?? "Linux";
  const nodeInfo: NodeSystemInfo = {
    machineID: read("/etc/machine-id"),
    systemUUID: read("/sys/class/dmi/id/product_uuid"),
    bootID: read("/proc/sys/kernel/random/boot_id"),
    kernelVersion: release(),
    osImage: pretty,
    containerRuntimeVersion: o.containerRuntimeVersion,
    kubeletVersion: o.kubeletVersion,
    kubeProxyVersion: "",
    operatingSystem: "linux",
    architecture: goArch[arch()] ?? arch(),
  };
  const addresses: NodeAddress[] = [
    { type: "InternalIP", address: o.nodeIp },
    { type: "Hostname", address: o.nodeName },
  ];
  return {
    nodeName: o.nodeName,
    capacity,
    addresses,
    nodeInfo,
    port: o.port,
    ...(o.labels ? { labels: o.labels } : {}),
    ...(o.taints ? { taints: o.taints } : {}),
    ...(o.kubeReserved ? { kubeReserved: o.kubeReserved } : {}),
    ...(o.systemReserved ? { systemReserved: o.systemReserved } : {}),
    evictionHard: evictionReservation(
      o.evictionHard ?? { "memory.available": "100Mi", "nodefs.available": "10%" },
      capacity,
    ),
  };
}
