/**
 * Node status reporting (kubelet tryUpdateNodeStatus): computed every sync (10 s by default), posted
 * as a strategic merge patch of nodes/status when it changed or when the report interval (5 min)
 * has passed. Pressure conditions also set or clear the matching NoSchedule taints.
 */
import type { ContainerImage, Node, NodeCondition, Taint } from "../../core/api/mod.ts";
import type { Logger } from "../log/logger.ts";
import type { KubeClient } from "./kube-client.ts";
import {
  type NodeConfig,
  type NodeHealth,
  nodeStatus,
  reconcilePressureTaints,
  statusFingerprint,
} from "./node-object.ts";
import { retryOnConflict } from "./retry-on-conflict.ts";

export interface NodeStatusOptions {
  client: KubeClient;
  config: NodeConfig;
  /** Current health (runtime readiness, pressure). */
  health: () => NodeHealth;
  /** Images on the node (for status.images; the scheduler's ImageLocality reads them). */
  images?: () => ContainerImage[];
  now?: () => Date;
  /** nodeStatusReportFrequency, ms (default 5 min). */
  reportIntervalMs?: number;
  /** Also maintain the pressure taints (default true). */
  pressureTaints?: boolean;
  log?: Logger;
}

export class NodeStatusReporter {
  readonly options: NodeStatusOptions;
  private lastConditions: NodeCondition[] = [];
  private lastFingerprint = "";
  private lastReportAt = Number.NEGATIVE_INFINITY;
  private lastTaintKeys = "";
  private timer: ReturnType<typeof setInterval> | undefined;
  /** Status patches sent (for tests and metrics). */
  patches = 0;

  constructor(options: NodeStatusOptions) {
    this.options = options;
  }

  private get path(): string {
    return `/api/v1/nodes/${encodeURIComponent(this.options.config.nodeName)}`;
  }

  /** One sync: patch status if needed (up to 5 attempts, as nodeStatusUpdateRetry), then taints. */
  async sync(): Promise<boolean> {
    const now = this.options.now?.() ?? new Date();
    const health = this.options.health();
    // As the kubelet: start from the Node the API server holds, so changes made by others (the node
    // lifecycle controller setting Ready=Unknown) are noticed and corrected at once.
    const current = await this.options.client.get<Node>(this.path);
    const serverConditions = current.status?.conditions ?? [];
    const status = nodeStatus(
      this.options.config,
      health,
      serverConditions.length ? serverConditions : this.lastConditions,
      now,
    );
    if (this.options.images) {
      // nodeStatusMaxImages: the 50 largest images.
      status.images = [...this.options.images()]
        .sort((a, b) => (b.sizeBytes ?? 0) - (a.sizeBytes ?? 0))
        .slice(0, 50);
    }
    const fp = statusFingerprint(status);
    const held = statusFingerprint(
      Object.fromEntries(
        Object.keys(status).map((k) => [k, (current.status as Record<string, unknown> | undefined)?.[k]]),
      ) as Node["status"],
    );
    const due = now.getTime() - this.lastReportAt >= (this.options.reportIntervalMs ?? 5 * 60_000);
    let posted = false;
    if (fp !== held || fp !== this.lastFingerprint || due) {
      let lastErr: unknown;
      for (let attempt = 0; attempt < 5; attempt++) {
        try {
          await this.options.client.patch(
            `${this.path}/status`,
            {
              status: {
                ...status,
                "$setElementOrder/conditions": status.conditions?.map((c) => ({ type: c.type })),
              },
            },
            "strategic",
          );
          lastErr = undefined;
          break;
        } catch (err) {
          lastErr = err;
        }
      }
      if (lastErr) {
        this.options.log?.warn("Error updating node status, will retry", {
          node: this.options.config.nodeName,
          err: lastErr,
        });
        throw lastErr;
      }
      this.patches++;
      posted = true;
      this.lastConditions = status.conditions ?? [];
      this.lastFingerprint = fp;
      this.lastReportAt = now.getTime();
    }
    if (this.options.pressureTaints ?? true) await this.syncTaints(health);
    return posted;
  }

  private async syncTaints(health: NodeHealth): Promise<void> {
    const wantedKeys = JSON.stringify([health.memoryPressure, health.diskPressure, health.pidPressure]);
    if (wantedKeys === this.lastTaintKeys) return;
    await retryOnConflict(async () => {
      const node = await this.options.client.get<Node>(this.path);
      const current: Taint[] = node.spec?.taints ?? [];
      const next = reconcilePressureTaints(current, health);
      if (JSON.stringify(next) === JSON.stringify(current)) return;
      node.spec = { ...node.spec, taints: next };
      await this.options.client.replace(this.path, node);
    });
    this.lastTaintKeys = wantedKeys;
  }

  /** Syncs every `intervalMs` (nodeStatusUpdateFrequency, default 10 s). */
  start(intervalMs = 10_000): void {
    const tick = () => void this.sync().catch(() => {});
    tick();
    this.timer = setInterval(tick, intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
