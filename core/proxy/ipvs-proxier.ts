/** placeholder */

import { KiteError } from "../errors/mod.ts";
import type { Backend, BackendSyncInput } from "./backend.ts";
import type { ResolvedConfig } from "./config.ts";
import type { EndpointsChangeTracker } from "./endpoints-change-tracker.ts";
import type { ServiceChangeTracker } from "./service-change-tracker.ts";
import type { SyncResult } from "./types.ts";

export class IpvsProxier implements Backend {
  readonly cfg: ResolvedConfig;
  constructor(cfg: ResolvedConfig, _s: ServiceChangeTracker, _e: EndpointsChangeTracker) {
    this.cfg = cfg;
  }
  syncResult(_input: BackendSyncInput): SyncResult {
    throw new KiteError("unimplemented", "ipvs mode is not built yet");
  }
  committed(_id: number): void {}
  failed(_id: number): void {}
}
