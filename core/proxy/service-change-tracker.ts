/**
 * ServiceChangeTracker: remembers Services by namespace/name, turns add/update/delete
 * events into pending changes and drops changes that end where they started (no-op).
 */
import type { Service } from "../api/mod.ts";
import type { IPFamily } from "./ip.ts";
import { type ServicePortInfo, servicePortsOf } from "./service-port.ts";

export class ServiceChangeTracker {
  readonly #family: IPFamily;
  readonly #ports = new Map<string, ServicePortInfo[]>();
  readonly #serialized = new Map<string, string>();
  /** serviceKey → serialized ports at the last sync (for no-op detection). */
  readonly #pending = new Map<string, string>();

  readonly #ipModeGate: boolean;

  constructor(family: IPFamily, ipModeGate = true) {
    this.#family = family;
    this.#ipModeGate = ipModeGate;
  }

  /** Records an event; returns true if it left a pending change. */
  update(op: "add" | "update" | "delete", svc: Service): boolean {
    const key = `${svc.metadata?.namespace ?? "default"}/${svc.metadata?.name ?? ""}`;
    const before = this.#serialized.get(key) ?? "";
    const ports = op === "delete" ? [] : servicePortsOf(svc, this.#family, this.#ipModeGate);
    const after = ports.length ? JSON.stringify(ports) : "";
    if (!this.#pending.has(key)) this.#pending.set(key, before);
    if (after) {
      this.#ports.set(key, ports);
      this.#serialized.set(key, after);
    } else {
      this.#ports.delete(key);
      this.#serialized.delete(key);
    }
    if (this.#pending.get(key) === after) {
      this.#pending.delete(key);
      return false;
    }
    return true;
  }

  /** Service keys with pending changes; clears them. */
  takeChanges(): Set<string> {
    const keys = new Set(this.#pending.keys());
    this.#pending.clear();
    return keys;
  }

  pendingCount(): number {
    return this.#pending.size;
  }

  /** All service ports, keyed by service key. */
  services(): ReadonlyMap<string, ServicePortInfo[]> {
    return this.#ports;
  }

  portsOf(key: string): ServicePortInfo[] {
    return this.#ports.get(key) ?? [];
  }
}
