/** The plugin contract of kite's scheduling framework (a subset of the upstream extension points). */
import type { Pod } from "../api/mod.ts";
import type { FeatureGates } from "./feature-gates.ts";
import type { NodeInfo } from "./node-info.ts";
import type { PodInfo } from "./pod-info.ts";
import type { Snapshot } from "./snapshot.ts";
import type { Status } from "./status.ts";

/** What every plugin sees during one scheduling cycle for one pod. */
export interface CycleContext {
  readonly pod: Pod;
  readonly podInfo: PodInfo;
  readonly snapshot: Snapshot;
  readonly gates: FeatureGates;
  /** Plugin-private state written by PreFilter/PreScore (CycleState). */
  readonly state: Map<string, unknown>;
}

export interface PreFilterResult {
  readonly status: Status;
  /** When set, only these nodes can pass (PreFilterResult.NodeNames). */
  readonly nodeNames?: ReadonlySet<string> | null;
}

export interface Plugin {
  readonly name: string;
  preFilter?(ctx: CycleContext): PreFilterResult;
  filter?(ctx: CycleContext, node: NodeInfo): Status;
  /** May return Skip, after which Score and NormalizeScore are not run for this pod. */
  preScore?(ctx: CycleContext, nodes: readonly NodeInfo[]): Status;
  score?(ctx: CycleContext, node: NodeInfo): number;
  /** Batch form of score over many nodes (used when present); fills and returns `out` when given. */
  scoreAll?(ctx: CycleContext, nodes: readonly NodeInfo[], out?: number[]): number[];
  normalizeScore?(ctx: CycleContext, nodes: readonly NodeInfo[], scores: number[]): void;
}

/** How a plugin is registered: its argument defaults/validation and its constructor. */
export interface PluginFactory<A = unknown> {
  readonly name: string;
  /** Validates and defaults the plugin args; throws KiteError naming the field (relative to args). */
  resolveArgs(args: unknown, options: { strict: boolean }): A;
  create(args: A, gates: FeatureGates): Plugin;
}

export const maxNodeScore = 100;
export const minNodeScore = 0;
