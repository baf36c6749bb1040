/**
 * The input of `kite simulate` and `POST /simulate`:
 *   { pod: Pod, nodes: Node[] | NodeList, pods?: Pod[] | PodList,
 *     profile?: KubeSchedulerProfile | KubeSchedulerConfiguration,
 *     schedulerName?: string, featureGates?: {Gate: bool} }
 */
import type { Node, Pod } from "../../core/api/mod.ts";
import { invalidArgument } from "../../core/errors/mod.ts";
import {
  type FeatureGates,
  profileFromDocument,
  type ResolvedProfile,
  type SchedulingResult,
  simulate,
  validateNode,
  validatePod,
} from "../../core/scheduler/mod.ts";

export interface SimulateRequest {
  pod: Pod;
  nodes: Node[];
  pods: Pod[];
  profile: ResolvedProfile;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function list(v: unknown, field: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) return v;
  if (isObj(v) && Array.isArray(v.items)) return v.items;
  throw invalidArgument(field, "must be a list (or a List object with items)");
}

function gates(v: unknown): Partial<FeatureGates> {
  if (v === undefined || v === null) return {};
  if (!isObj(v)) throw invalidArgument("featureGates", "must be a map of gate name to boolean");
  for (const [k, b] of Object.entries(v)) {
    if (typeof b !== "boolean") throw invalidArgument(`featureGates[${k}]`, "must be a boolean");
  }
  return v as Partial<FeatureGates>;
}

export function decodeSimulateInput(doc: unknown): SimulateRequest {
  if (!isObj(doc))
    throw invalidArgument("input", "must be an object with pod, nodes and (optionally) pods and profile");
  if (doc.pod === undefined) throw invalidArgument("pod", "is required");
  validatePod(doc.pod, "pod");
  const nodes = list(doc.nodes, "nodes");
  if (doc.nodes === undefined) throw invalidArgument("nodes", "is required");
  nodes.forEach((n, i) => {
    validateNode(n, `nodes[${i}]`);
  });
  const pods = list(doc.pods, "pods");
  pods.forEach((p, i) => {
    validatePod(p, `pods[${i}]`);
  });
  if (doc.schedulerName !== undefined && typeof doc.schedulerName !== "string") {
    throw invalidArgument("schedulerName", "must be a string");
  }
  const profile = profileFromDocument(doc.profile ?? {}, {
    field: "profile",
    featureGates: gates(doc.featureGates),
    ...(typeof doc.schedulerName === "string" ? { schedulerName: doc.schedulerName } : {}),
  });
  return { pod: doc.pod as Pod, nodes: nodes as Node[], pods: pods as Pod[], profile };
}

export function runSimulation(doc: unknown): SchedulingResult {
  const req = decodeSimulateInput(doc);
  return simulate({ pod: req.pod, nodes: req.nodes, pods: req.pods, profile: req.profile });
}
