/**
 * The kube-scheduler extender wire format (k8s.io/kube-scheduler/extender/v1):
 * PascalCase keys (the structs have no json tags), null for unset pointers,
 * maps and slices. Keys are matched case-insensitively on input, as Go's
 * encoding/json does.
 */
import type { Node, Pod } from "../../core/api/mod.ts";
import { invalidArgument } from "../../core/errors/mod.ts";
import { validateNode, validatePod } from "../../core/scheduler/mod.ts";

export const maxExtenderPriority = 10;
export const minExtenderPriority = 0;

export interface NodeList {
  metadata?: Record<string, unknown>;
  items: Node[];
}

export interface ExtenderArgs {
  Pod: Pod;
  Nodes: NodeList | null;
  NodeNames: string[] | null;
}

export interface ExtenderFilterResult {
  Nodes: NodeList | null;
  NodeNames: string[] | null;
  FailedNodes: Record<string, string>;
  FailedAndUnresolvableNodes: Record<string, string>;
  Error: string;
}

export interface HostPriority {
  Host: string;
  Score: number;
}

export interface MetaPod {
  UID: string;
}

export interface MetaVictims {
  Pods: MetaPod[];
  NumPDBViolations: number;
}

export interface WireVictims {
  Pods: Pod[];
  NumPDBViolations: number;
}

export interface ExtenderPreemptionArgs {
  Pod: Pod;
  NodeNameToVictims: Record<string, WireVictims> | null;
  NodeNameToMetaVictims: Record<string, MetaVictims> | null;
}

export interface ExtenderPreemptionResult {
  NodeNameToMetaVictims: Record<string, MetaVictims> | null;
}

export interface ExtenderBindingArgs {
  PodName: string;
  PodNamespace: string;
  PodUID: string;
  Node: string;
}

export interface ExtenderBindingResult {
  Error: string;
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Reads a key the way Go's decoder does: exact match first, then case-insensitive. */
function get(o: Obj, key: string): unknown {
  if (Object.hasOwn(o, key)) return o[key];
  const lower = key.toLowerCase();
  for (const k of Object.keys(o)) if (k.toLowerCase() === lower) return o[k];
  return undefined;
}

function body(raw: unknown): Obj {
  if (!isObj(raw)) throw invalidArgument("body", "must be a JSON object");
  return raw;
}

function stringList(v: unknown, field: string): string[] | null {
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v)) throw invalidArgument(field, "must be a list of node names or null");
  v.forEach((s, i) => {
    if (typeof s !== "string") throw invalidArgument(`${field}[${i}]`, "must be a string");
  });
  return v as string[];
}

function nodeList(v: unknown, field: string): NodeList | null {
  if (v === undefined || v === null) return null;
  if (!isObj(v)) throw invalidArgument(field, "must be a NodeList object or null");
  const items = v.items ?? [];
  if (!Array.isArray(items)) throw invalidArgument(`${field}.items`, "must be a list");
  items.forEach((n, i) => {
    validateNode(n, `${field}.items[${i}]`);
  });
  return { metadata: isObj(v.metadata) ? v.metadata : {}, items: items as Node[] };
}

function pod(v: unknown, field: string): Pod {
  if (v === undefined || v === null) throw invalidArgument(field, "is required");
  validatePod(v, field);
  return v;
}

export function decodeExtenderArgs(raw: unknown): ExtenderArgs {
  const o = body(raw);
  const args: ExtenderArgs = {
    Pod: pod(get(o, "Pod"), "Pod"),
    Nodes: nodeList(get(o, "Nodes"), "Nodes"),
    NodeNames: stringList(get(o, "NodeNames"), "NodeNames"),
  };
  if (args.Nodes === null && args.NodeNames === null) {
    throw invalidArgument("Nodes", "either Nodes or NodeNames must be set");
  }
  return args;
}

function uidOf(v: unknown, field: string): string {
  if (!isObj(v)) throw invalidArgument(field, "must be an object");
  const uid = get(v, "UID");
  if (typeof uid !== "string") throw invalidArgument(`${field}.UID`, "must be a string");
  return uid;
}

function pdbViolations(v: Obj, field: string): number {
  const n = get(v, "NumPDBViolations") ?? 0;
  if (typeof n !== "number" || !Number.isInteger(n))
    throw invalidArgument(`${field}.NumPDBViolations`, "must be an integer");
  return n;
}

export function decodePreemptionArgs(raw: unknown): ExtenderPreemptionArgs {
  const o = body(raw);
  const out: ExtenderPreemptionArgs = {
    Pod: pod(get(o, "Pod"), "Pod"),
    NodeNameToVictims: null,
    NodeNameToMetaVictims: null,
  };
  const full = get(o, "NodeNameToVictims");
  if (full !== undefined && full !== null) {
    if (!isObj(full)) throw invalidArgument("NodeNameToVictims", "must be a map of node name to victims");
    out.NodeNameToVictims = {};
    for (const [node, v] of Object.entries(full)) {
      const f = `NodeNameToVictims[${node}]`;
      if (!isObj(v)) throw invalidArgument(f, "must be an object");
      const pods = get(v, "Pods") ?? [];
      if (!Array.isArray(pods)) throw invalidArgument(`${f}.Pods`, "must be a list");
      pods.forEach((p, i) => {
        validatePod(p, `${f}.Pods[${i}]`);
      });
      out.NodeNameToVictims[node] = { Pods: pods as Pod[], NumPDBViolations: pdbViolations(v, f) };
    }
  }
  const meta = get(o, "NodeNameToMetaVictims");
  if (meta !== undefined && meta !== null) {
    if (!isObj(meta)) throw invalidArgument("NodeNameToMetaVictims", "must be a map of node name to victims");
    out.NodeNameToMetaVictims = {};
    for (const [node, v] of Object.entries(meta)) {
      const f = `NodeNameToMetaVictims[${node}]`;
      if (!isObj(v)) throw invalidArgument(f, "must be an object");
      const pods = get(v, "Pods") ?? [];
      if (!Array.isArray(pods)) throw invalidArgument(`${f}.Pods`, "must be a list");
      out.NodeNameToMetaVictims[node] = {
        Pods: pods.map((p, i) => ({ UID: uidOf(p, `${f}.Pods[${i}]`) })),
        NumPDBViolations: pdbViolations(v, f),
      };
    }
  }
  return out;
}

export function decodeBindingArgs(raw: unknown): ExtenderBindingArgs {
  const o = body(raw);
  const s = (key: string, required: boolean): string => {
    const v = get(o, key);
    if (v === undefined || v === null || v === "") {
      if (required) throw invalidArgument(key, "is required");
      return "";
    }
    if (typeof v !== "string") throw invalidArgument(key, "must be a string");
    return v;
  };
  return {
    PodName: s("PodName", true),
    PodNamespace: s("PodNamespace", false) || "default",
    PodUID: s("PodUID", false),
    Node: s("Node", true),
  };
}
