import { createProxier, type ProxyMode } from "../../core/proxy/mod.ts";

/** Why the core cannot sync in this mode yet (a build without it), or undefined. */
export function coreModeUnavailable(mode: ProxyMode): string | undefined {
  try {
    createProxier({ mode, hostname: "probe", nodeIPs: ["192.0.2.1"] }).sync({ now: 0 });
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}
