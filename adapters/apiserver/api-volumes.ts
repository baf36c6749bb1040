/**
 * The configMap and secret volume plugins of kite node in cluster mode: the node agent calls `setUp` for each
 * such volume of a pod from the API server before it starts the pod and again on every pod sync; the files
 * come from the API server (`volumeFiles`) and are written the AtomicWriter way (`writeVolumeAtomically`).
 * Static pods cannot use these volume types (their manifests are refused, as upstream).
 */
import type { Pod, Volume } from "../../core/api/mod.ts";
import { invalidArgument } from "../../core/errors/mod.ts";
import type { VolumePlugin } from "../node/volume-plugin.ts";
import { configSourceAnnotation } from "./api-pod-source.ts";
import { writeVolumeAtomically } from "./atomic-writer.ts";
import type { KubeClient } from "./kube-client.ts";
import { volumeFiles } from "./volume-source.ts";

function plugin(client: KubeClient, pluginName: string, handles: (v: Volume) => boolean): VolumePlugin {
  return {
    pluginName,
    handles,
    async setUp(pod: Pod, volume: Volume, dir: string) {
      if ((pod.metadata.annotations?.[configSourceAnnotation] ?? "api") !== "api") {
        throw invalidArgument(
          `spec.volumes[${volume.name}]`,
          "static pods cannot use configMap or secret volumes",
        );
      }
      const files = await volumeFiles(client, pod.metadata.namespace ?? "default", volume);
      writeVolumeAtomically(dir, files);
    },
  };
}

/** kubernetes.io~configmap and kubernetes.io~secret, reading through `client`. */
export function apiVolumePlugins(client: KubeClient): VolumePlugin[] {
  return [
    plugin(client, "kubernetes.io~configmap", (v) => v.configMap !== undefined),
    plugin(client, "kubernetes.io~secret", (v) => v.secret !== undefined),
  ];
}
