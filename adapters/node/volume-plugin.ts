import type { Pod, Volume } from "../../core/api/mod.ts";

/**
 * A volume type whose contents come from outside the node (the kubelet's volume plugins): in cluster mode,
 * configMap and secret volumes filled from the API server. The node agent calls `setUp` before a pod's sandbox
 * is created and again on every pod sync (so changed ConfigMaps/Secrets reach running pods); the files land
 * in `<root-dir>/pods/<uid>/volumes/<pluginName>/<volume>` and are mounted read-only.
 */
export interface VolumePlugin {
  /** The folder name under volumes/, as upstream: kubernetes.io~configmap, kubernetes.io~secret. */
  readonly pluginName: string;
  handles(volume: Volume): boolean;
  /** Writes the volume's files into `dir` (atomically); throws a KiteError when they cannot be fetched. */
  setUp(pod: Pod, volume: Volume, dir: string): Promise<void>;
}
