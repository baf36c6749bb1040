import { KiteError } from "../../core/errors/mod.ts";

/** The kubelet's default `--container-runtime-endpoint`. */
export const defaultRuntimeEndpoint = "unix:///run/containerd/containerd.sock";

/** Turns `unix:///path` (or a bare absolute path) into the socket path. */
export function parseRuntimeEndpoint(endpoint: string, field = "--container-runtime-endpoint"): string {
  if (endpoint.startsWith("unix://")) {
    const path = endpoint.slice("unix://".length);
    if (path.startsWith("/")) return path;
  } else if (endpoint.startsWith("/")) {
    return endpoint;
  }
  throw new KiteError(
    "invalid_argument",
    `${JSON.stringify(endpoint)} is not a unix socket endpoint (want unix:///path/to/socket)`,
    { field },
  );
}
