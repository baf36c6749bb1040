import type { CriClient } from "../cri/mod.ts";
import type { Kubelet } from "./kubelet.ts";
import type { NodeConfig } from "./node-config.ts";
import { fsStats, nodeMemoryStats, pidStats } from "./node-stats.ts";
import { nsToMs } from "./runtime-pod.ts";

const startTime = new Date().toISOString();

/** The image filesystem: ImageFsInfo's mountpoint, measured with statfs (the CRI gives usage, not capacity). */
export async function imageFsStats(cri: CriClient) {
  const info = await cri.image.imageFsInfo({});
  const fs = info.imageFilesystems[0];
  const mount = fs?.fsId?.mountpoint;
  const st = mount ? fsStats(mount) : undefined;
  return st
    ? {
        ...st,
        usedBytes: Number(fs?.usedBytes?.value ?? 0n),
        inodesUsed: Number(fs?.inodesUsed?.value ?? 0n),
      }
    : undefined;
}

/** /stats/summary (stats/v1alpha1 Summary) from /proc, statfs and CRI container stats. */
export async function buildStatsSummary(o: {
  cri: CriClient;
  kubelet: Kubelet;
  config: NodeConfig;
  nodeIp: string;
  only: boolean;
}) {
  const now = new Date().toISOString();
  const mem = nodeMemoryStats();
  const node: Record<string, unknown> = {
    nodeName: o.config.nodeName,
    startTime,
    memory: {
      time: now,
      availableBytes: mem.availableBytes,
      usageBytes: mem.usageBytes,
      workingSetBytes: mem.workingSetBytes,
    },
  };
  if (!o.only) {
    const root = fsStats(o.config.rootDir);
    node.fs = root ? { time: now, ...root } : undefined;
    const imageFs = await imageFsStats(o.cri).catch(() => undefined);
    node.runtime = imageFs ? { imageFs: { time: now, ...imageFs } } : {};
    node.rlimit = { time: now, ...pidStats() };
  }
  const stats = await o.cri.runtime.listContainerStats({}).catch(() => ({ stats: [] }));
  const byId = new Map(stats.stats.map((s) => [s.attributes?.id ?? "", s]));
  const pods = o.kubelet.pods().map((p) => {
    const rt = o.kubelet.runtimePods().find((r) => r.uid === p.metadata.uid);
    const running = (rt?.containers ?? []).filter((c) => c.state === 1);
    const containers = running.map((c) => {
      const s = byId.get(c.id);
      return {
        name: c.name,
        startTime: new Date(c.createdAtMs).toISOString(),
        cpu: s?.cpu
          ? {
              time: new Date(nsToMs(s.cpu.timestamp)).toISOString(),
              usageNanoCores: Number(s.cpu.usageNanoCores?.value ?? 0n),
              usageCoreNanoSeconds: Number(s.cpu.usageCoreNanoSeconds?.value ?? 0n),
            }
          : undefined,
        memory: s?.memory
          ? {
              time: new Date(nsToMs(s.memory.timestamp)).toISOString(),
              workingSetBytes: Number(s.memory.workingSetBytes?.value ?? 0n),
              usageBytes: Number(s.memory.usageBytes?.value ?? 0n),
              rssBytes: Number(s.memory.rssBytes?.value ?? 0n),
            }
          : undefined,
        ...(o.only
          ? {}
          : {
              rootfs: s?.writableLayer
                ? {
                    time: now,
                    usedBytes: Number(s.writableLayer.usedBytes?.value ?? 0n),
                    inodesUsed: Number(s.writableLayer.inodesUsed?.value ?? 0n),
                  }
                : undefined,
            }),
      };
    });
    const sum = (f: (c: (typeof containers)[number]) => number | undefined) =>
      containers.reduce((a, c) => a + (f(c) ?? 0), 0);
    return {
      podRef: { name: p.metadata.name, namespace: p.metadata.namespace, uid: p.metadata.uid },
      startTime: p.status?.startTime,
      containers,
      cpu: {
        time: now,
        usageNanoCores: sum((c) => c.cpu?.usageNanoCores),
        usageCoreNanoSeconds: sum((c) => c.cpu?.usageCoreNanoSeconds),
      },
      memory: {
        time: now,
        workingSetBytes: sum((c) => c.memory?.workingSetBytes),
        usageBytes: sum((c) => c.memory?.usageBytes),
      },
    };
  });
  return { node, pods };
}
