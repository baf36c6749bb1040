/**
 * ConfigMap and Secret volume contents, fetched from the API server (kubelet configmap/secret volume
 * plugins): every key (or the listed items) becomes a file with the volume's default mode or the item's mode.
 */
import type { Volume } from "../../core/api/mod.ts";
import { KiteError } from "../../core/errors/mod.ts";
import { isNotFound } from "./api-error.ts";
import type { KubeClient } from "./kube-client.ts";

export interface VolumeFile {
  /** Path inside the volume. */
  path: string;
  data: Buffer;
  mode: number;
}

interface Source {
  name?: string;
  secretName?: string;
  items?: { key: string; path: string; mode?: number }[];
  defaultMode?: number;
  optional?: boolean;
}

/** Files for a configMap or secret volume; other volume types are not this module's business. */
export async function volumeFiles(
  client: KubeClient,
  namespace: string,
  volume: Volume,
): Promise<VolumeFile[]> {
  const v = volume as Volume & { configMap?: Source; secret?: Source };
  const src = v.configMap ?? v.secret;
  if (!src)
    throw new KiteError(
      "invalid_argument",
      `volume ${volume.name} is neither a configMap nor a secret volume`,
      { field: `volumes[${volume.name}]` },
    );
  const isSecret = v.secret !== undefined;
  const name = isSecret ? src.secretName : src.name;
  const field = `volumes[${volume.name}].${isSecret ? "secret.secretName" : "configMap.name"}`;
  if (!name) throw new KiteError("invalid_argument", "name is required", { field });
  let obj: { data?: Record<string, string>; binaryData?: Record<string, string> };
  try {
    obj = await client.get(
      `/api/v1/namespaces/${encodeURIComponent(namespace)}/${isSecret ? "secrets" : "configmaps"}/${encodeURIComponent(name)}`,
    );
  } catch (err) {
    if (isNotFound(err) && src.optional) return [];
    if (isNotFound(err))
      throw new KiteError("not_found", `${isSecret ? "secret" : "configmap"} "${name}" not found`, {
        field,
        cause: err,
      });
    throw err;
  }
  const all = new Map<string, Buffer>();
  for (const [k, val] of Object.entries(obj.data ?? {}))
    all.set(k, isSecret ? Buffer.from(val, "base64") : Buffer.from(val, "utf8"));
  for (const [k, val] of Object.entries(obj.binaryData ?? {})) all.set(k, Buffer.from(val, "base64"));
  const mode = src.defaultMode ?? 0o644;
  if (!src.items?.length) return [...all].map(([path, data]) => ({ path, data, mode }));
  const out: VolumeFile[] = [];
  for (const [i, item] of src.items.entries()) {
    const data = all.get(item.key);
    if (!data) {
      if (src.optional) continue;
      throw new KiteError("not_found", `configmap/secret "${name}" has no key "${item.key}"`, {
        field: `volumes[${volume.name}].items[${i}].key`,
      });
    }
    if (item.path.startsWith("/") || item.path.split("/").includes("..")) {
      throw new KiteError(
        "invalid_argument",
        `path ${JSON.stringify(item.path)} must be relative and may not contain '..'`,
        { field: `volumes[${volume.name}].items[${i}].path` },
      );
    }
    out.push({ path: item.path, data, mode: item.mode ?? mode });
  }
  return out;
}
