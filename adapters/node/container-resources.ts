import type { Container, Pod } from "../../core/api/mod.ts";
import { parseQuantity, quantityMilliValue, quantityValue } from "../../core/quantity/mod.ts";
import { containerOomScoreAdj, qosClass } from "./policy.ts";

const minShares = 2;
const maxShares = 262144;
const sharesPerCpu = 1024;
const quotaPeriod = 100_000;
const minQuota = 1000;

function milli(v: string | number | undefined): number | undefined {
  return v === undefined ? undefined : Number(quantityMilliValue(parseQuantity(String(v))));
}

/** cpu.shares from a milli-CPU request (cm.MilliCPUToShares). */
export function milliCpuToShares(milliCpu: number): number {
  if (milliCpu === 0) return minShares;
  return Math.min(maxShares, Math.max(minShares, Math.floor((milliCpu * sharesPerCpu) / 1000)));
}

/** CFS quota from a milli-CPU limit (cm.MilliCPUToQuota), period 100 ms. */
export function milliCpuToQuota(milliCpu: number): number {
  if (milliCpu === 0) return 0;
  return Math.max(minQuota, Math.floor((milliCpu * quotaPeriod) / 1000));
}

export interface LinuxResources {
  cpuShares: bigint;
  cpuQuota: bigint;
  cpuPeriod: bigint;
  memoryLimitInBytes: bigint;
  oomScoreAdj: bigint;
}

/** The LinuxContainerResources the kubelet derives from a container's requests and limits. */
export function containerLinuxResources(pod: Pod, c: Container, memoryCapacity: number): LinuxResources {
  const req = milli(c.resources?.requests?.cpu);
  const lim = milli(c.resources?.limits?.cpu);
  const memLimit = c.resources?.limits?.memory;
  return {
    cpuShares: BigInt(milliCpuToShares(req ?? lim ?? 0)),
    cpuQuota: BigInt(lim ? milliCpuToQuota(lim) : 0),
    cpuPeriod: BigInt(lim ? quotaPeriod : 0),
    memoryLimitInBytes: memLimit === undefined ? 0n : BigInt(quantityValue(parseQuantity(String(memLimit)))),
    oomScoreAdj: BigInt(containerOomScoreAdj(pod, c, memoryCapacity)),
  };
}

/** The pod's cgroup parent under the cgroupfs driver: <root>/kubepods[/burstable|/besteffort]/pod<uid>. */
export function podCgroupParent(pod: Pod, cgroupRoot: string): string {
  const qos = qosClass(pod);
  const base = `${cgroupRoot.replace(/\/+$/, "")}/kubepods`;
  const tier = qos === "Guaranteed" ? "" : qos === "Burstable" ? "/burstable" : "/besteffort";
  return `${base}${tier}/pod${pod.metadata.uid}`;
}
