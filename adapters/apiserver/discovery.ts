/**
 * Server version and served API versions, discovered rather than assumed (kite supports v1.20 → newest).
 */
import { KiteError } from "../../core/errors/mod.ts";
import { isNotFound } from "./api-error.ts";
import type { KubeClient } from "./kube-client.ts";

export interface ServerVersion {
  major: number;
  minor: number;
  gitVersion: string;
}

export interface ServerApis {
  version: ServerVersion;
  /** Served group versions: "v1", "discovery.k8s.io/v1", ... */
  groupVersions: Set<string>;
}

export const minimumMinor = 20;

export async function discoverServer(client: KubeClient): Promise<ServerApis> {
  const v = await client.get<{ major?: string; minor?: string; gitVersion?: string }>("/version");
  const major = Number.parseInt(v.major ?? "", 10);
  const minor = Number.parseInt((v.minor ?? "").replace(/\D+$/, ""), 10);
  if (!Number.isFinite(major) || !Number.isFinite(minor)) {
    throw new KiteError(
      "failed_precondition",
      `cannot read the API server version from ${JSON.stringify(v)}`,
    );
  }
  if (major === 1 && minor < minimumMinor) {
    throw new KiteError(
      "failed_precondition",
      `API server ${v.gitVersion} is older than v1.${minimumMinor}, the oldest kite supports`,
    );
  }
  const groupVersions = new Set<string>();
  const core = await client.get<{ versions?: string[] }>("/api");
  for (const gv of core.versions ?? []) groupVersions.add(gv);
  const groups = await client.get<{ groups?: { versions?: { groupVersion: string }[] }[] }>("/apis");
  for (const g of groups.groups ?? []) for (const gv of g.versions ?? []) groupVersions.add(gv.groupVersion);
  return { version: { major, minor, gitVersion: v.gitVersion ?? `v${major}.${minor}` }, groupVersions };
}

export type EndpointsApi = "discovery.k8s.io/v1" | "discovery.k8s.io/v1beta1" | "v1";

/** EndpointSlice v1, else v1beta1, else core Endpoints. */
export function chooseEndpointsApi(apis: ServerApis): EndpointsApi {
  if (apis.groupVersions.has("discovery.k8s.io/v1")) return "discovery.k8s.io/v1";
  if (apis.groupVersions.has("discovery.k8s.io/v1beta1")) return "discovery.k8s.io/v1beta1";
  return "v1";
}

/** True when the resource answers at all (a GET of the collection with limit=1). */
export async function resourceServed(client: KubeClient, path: string): Promise<boolean> {
  try {
    await client.get(path, { query: { limit: 1 } });
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}
