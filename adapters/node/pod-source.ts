import type { Pod } from "../../core/api/mod.ts";

/** One problem with one input file or object, with the field at fault when known. */
export interface SourceError {
  /** The file (or object reference) the problem is in. */
  origin: string;
  field?: string;
  message: string;
}

/** A full snapshot of what one source wants on this node (the kubelet's SET operation). */
export interface SourceUpdate {
  source: string;
  pods: Pod[];
  errors: SourceError[];
  /**
   * Grace periods (seconds, by pod uid) for pods that leave the snapshot because they are being deleted
   * (`metadata.deletionGracePeriodSeconds`, e.g. `kubectl delete --grace-period`); they override the pod's
   * terminationGracePeriodSeconds when the node stops them.
   */
  gracePeriods?: Record<string, number>;
}

/**
 * Where pods come from: the manifest folder today; an API-server source (pods bound to this node) plugs in
 * through the same interface.
 */
export interface PodSource {
  readonly name: string;
  /** Begins delivering snapshots; the first one is delivered before the promise resolves. */
  start(deliver: (update: SourceUpdate) => void): Promise<void>;
  stop(): void;
}
