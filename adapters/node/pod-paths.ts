import { join } from "node:path";
import type { Pod } from "../../core/api/mod.ts";

/** Where the kubelet keeps a pod's files: <root-dir>/pods/<uid>/... and <pod-logs-dir>/<ns>_<name>_<uid>/. */
export interface PodPaths {
  rootDir: string;
  podLogsDir: string;
}

export function podDir(paths: PodPaths, uid: string): string {
  return join(paths.rootDir, "pods", uid);
}

export function emptyDirPath(paths: PodPaths, uid: string, volume: string): string {
  return join(podDir(paths, uid), "volumes", "kubernetes.io~empty-dir", volume);
}

/** The folder of a plugin volume (configMap, secret): <pod>/volumes/<plugin>/<volume>. */
export function pluginVolumePath(paths: PodPaths, uid: string, plugin: string, volume: string): string {
  return join(podDir(paths, uid), "volumes", plugin, volume);
}

/** The CRI log directory of a pod (pod log layout of the kubelet). */
export function podLogDir(paths: PodPaths, pod: Pod): string {
  return join(paths.podLogsDir, `${pod.metadata.namespace}_${pod.metadata.name}_${pod.metadata.uid}`);
}

/** Log path of one container instance, relative to the pod log directory. */
export function containerLogPath(container: string, restartCount: number): string {
  return join(container, `${restartCount}.log`);
}
