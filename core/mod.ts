/**
 * The portable core of kite: pure functions over Kubernetes API objects.
 * No I/O, no runtime dependencies; runs on Node, Deno and in browsers.
 * Each area has its own entry (core/scheduler/mod.ts, core/proxy/mod.ts,
 * core/kubelet/mod.ts) re-exported here.
 */
export * from "./api/mod.ts";
export { formatDuration, parseDuration } from "./duration/mod.ts";
export * from "./errors/mod.ts";
export * as kubelet from "./kubelet/mod.ts";
export * from "./labels/mod.ts";
export * as proxy from "./proxy/mod.ts";
export * from "./quantity/mod.ts";
export * as scheduler from "./scheduler/mod.ts";
export { kiteVersion } from "./version.ts";
