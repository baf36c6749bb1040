/**
 * The node heartbeat: a coordination.k8s.io/v1 Lease named after the node in kube-node-lease,
 * renewed every 10 s (0.25 × the 40 s duration), owned by the Node so it goes when the Node goes.
 */
import type { Logger } from "../log/logger.ts";
import { isConflict, isNotFound } from "./api-error.ts";
import type { AnyObject, KubeClient } from "./kube-client.ts";

export const leaseNamespace = "kube-node-lease";

export interface NodeLeaseOptions {
  client: KubeClient;
  nodeName: string;
  /** The Node's uid, for the ownerReference (set after registration). */
  nodeUid?: string;
  durationSeconds?: number;
  now?: () => Date;
  log?: Logger;
}

/** metav1.MicroTime on the wire: RFC 3339 with microseconds. */
export function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

interface Lease extends AnyObject {
  spec?: { holderIdentity?: string; leaseDurationSeconds?: number; renewTime?: string; acquireTime?: string };
}

export class NodeLease {
  readonly options: NodeLeaseOptions;
  private cached: Lease | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Successful renewals, for tests and metrics. */
  renewals = 0;
  failures = 0;

  constructor(options: NodeLeaseOptions) {
    this.options = options;
  }

  get durationSeconds(): number {
    return this.options.durationSeconds ?? 40;
  }

  /** The renew interval: 0.25 × duration (10 s for 40 s). */
  get renewIntervalMs(): number {
    return this.durationSeconds * 250;
  }

  private path(name = this.options.nodeName): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${leaseNamespace}/leases/${encodeURIComponent(name)}`;
  }

  private desired(base: Lease | undefined): Lease {
    const now = microTime(this.options.now?.() ?? new Date());
    const lease: Lease = base
      ? structuredClone(base)
      : {
          apiVersion: "coordination.k8s.io/v1",
          kind: "Lease",
          metadata: { name: this.options.nodeName, namespace: leaseNamespace },
        };
    lease.spec = {
      ...lease.spec,
      holderIdentity: this.options.nodeName,
      leaseDurationSeconds: this.durationSeconds,
      renewTime: now,
    };
    if (this.options.nodeUid && !(lease.metadata?.ownerReferences as unknown[] | undefined)?.length) {
      lease.metadata = {
        ...lease.metadata,
        ownerReferences: [
          { apiVersion: "v1", kind: "Node", name: this.options.nodeName, uid: this.options.nodeUid },
        ],
      };
    }
    return lease;
  }

  /** One renewal: update the cached lease, refetching on conflict, creating it when missing. */
  async renew(): Promise<void> {
    const { client } = this.options;
    try {
      if (!this.cached) {
        try {
          this.cached = await client.get<Lease>(this.path());
        } catch (err) {
          if (!isNotFound(err)) throw err;
          this.cached = await client.create<Lease>(
            `/apis/coordination.k8s.io/v1/namespaces/${leaseNamespace}/leases`,
            this.desired(undefined),
          );
          this.renewals++;
          return;
        }
      }
      try {
        this.cached = await client.replace<Lease>(this.path(), this.desired(this.cached));
      } catch (err) {
        if (!isConflict(err) && !isNotFound(err)) throw err;
        this.cached = undefined;
        return this.renew();
      }
      this.renewals++;
    } catch (err) {
      this.failures++;
      this.options.log?.warn("failed to renew node lease", { node: this.options.nodeName, err });
      throw err;
    }
  }

  /** Renews now and then every renew interval (failed renewals retry sooner: 200 ms doubling to the interval). */
  start(): void {
    let retry = 200;
    const tick = async () => {
      let next = this.renewIntervalMs;
      try {
        await this.renew();
        retry = 200;
      } catch {
        next = Math.min(retry, this.renewIntervalMs);
        retry *= 2;
      }
      if (this.timer !== undefined) this.timer = setTimeout(tick, next);
    };
    this.timer = setTimeout(tick, 0);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
