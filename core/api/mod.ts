export type * from "./core.ts";
export type * from "./discovery.ts";
export { serviceNameLabel } from "./discovery.ts";
export type * from "./meta.ts";
