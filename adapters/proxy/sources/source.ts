/**
 * Where the proxy gets its Services, EndpointSlices and its own Node from. The folder source
 * (folder-source.ts) implements it; the API-server source (adapters/apiserver) can too.
 */
import type { EndpointSlice, Node, Service } from "../../../core/api/mod.ts";

export type SourceEvent =
  | { kind: "Service"; op: "add" | "update" | "delete"; object: Service }
  | { kind: "EndpointSlice"; op: "add" | "update" | "delete"; object: EndpointSlice }
  | { kind: "Node"; op: "add" | "update" | "delete"; object: Node };

/** A problem with one input (file + field), reported and skipped; the rest keeps working. */
export interface SourceProblem {
  /** File, URL or other origin. */
  origin: string;
  /** Field path inside the object, e.g. `[1].spec.ports[0].port` (document index first). */
  field: string;
  message: string;
}

export interface SourceHandlers {
  /** A batch of changes, in order. */
  events(events: SourceEvent[]): void;
  /** Bad input that was skipped. */
  problem?(problem: SourceProblem): void;
}

export interface ObjectSource {
  /** A short description for logs (e.g. `folder /etc/kite/objects`). */
  readonly description: string;
  /** Starts watching; resolves once the initial state has been delivered (the "synced" point). */
  start(handlers: SourceHandlers): Promise<void>;
  /** Re-reads now (where meaningful) and resolves once any resulting events were delivered. */
  resync?(): Promise<void>;
  stop(): Promise<void>;
}
