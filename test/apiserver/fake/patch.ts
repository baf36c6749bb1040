/**
 * The three patch types the API server accepts for built-in types: JSON merge patch (RFC 7386),
 * strategic merge patch (merge keys and directives of the core types), and JSON patch (RFC 6902).
 */
type Json = unknown;
type JsonMap = Record<string, Json>;

const isMap = (v: Json): v is JsonMap => v !== null && typeof v === "object" && !Array.isArray(v);

export class PatchError extends Error {}

export function mergePatch(target: Json, patch: Json): Json {
  if (!isMap(patch)) return structuredClone(patch);
  const out: JsonMap = isMap(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** Merge keys of the list fields kite and kubelet patch (from the core/v1 Go struct tags). */
function mergeKey(path: readonly string[], field: string): string | "primitive" | undefined {
  switch (field) {
    case "conditions":
    case "addresses":
      return "type";
    case "containers":
    case "initContainers":
    case "ephemeralContainers":
    case "volumes":
    case "env":
    case "imagePullSecrets":
    case "resourceClaims":
      return "name";
    case "volumeMounts":
      return "mountPath";
    case "ownerReferences":
      return "uid";
    case "podIPs":
    case "hostIPs":
      return "ip";
    case "finalizers":
      return "primitive";
    case "ports":
      return path.includes("containers") || path.includes("initContainers") ? "containerPort" : "port";
    default:
      return undefined;
  }
}

export function strategicMergePatch(target: Json, patch: Json, path: readonly string[] = []): Json {
  if (!isMap(patch)) return structuredClone(patch);
  if (patch.$patch === "replace") {
    const { $patch: _, ...rest } = patch;
    return structuredClone(rest);
  }
  if (patch.$patch === "delete") return undefined;
  const out: JsonMap = isMap(target) ? { ...target } : {};
  const orders: Record<string, Json[]> = {};
  let retain: string[] | undefined;
  for (const [k, v] of Object.entries(patch)) {
    if (k === "$patch") continue;
    if (k === "$retainKeys") {
      retain = v as string[];
      continue;
    }
    if (k.startsWith("$setElementOrder/")) {
      orders[k.slice("$setElementOrder/".length)] = v as Json[];
      continue;
    }
    if (k.startsWith("$deleteFromPrimitiveList/")) {
      const field = k.slice("$deleteFromPrimitiveList/".length);
      const drop = new Set((v as Json[]).map((x) => JSON.stringify(x)));
      const cur = out[field];
      if (Array.isArray(cur)) out[field] = cur.filter((x) => !drop.has(JSON.stringify(x)));
      continue;
    }
    if (v === null) {
      delete out[k];
      continue;
    }
    const key = mergeKey(path, k);
    if (Array.isArray(v) && key !== undefined) {
      out[k] = mergeList(Array.isArray(out[k]) ? (out[k] as Json[]) : [], v, key, [...path, k]);
    } else if (isMap(v)) {
      const merged = strategicMergePatch(out[k], v, [...path, k]);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    } else {
      out[k] = structuredClone(v);
    }
  }
  for (const [field, order] of Object.entries(orders)) {
    const list = out[field];
    if (!Array.isArray(list)) continue;
    const key = mergeKey(path, field);
    const id = (x: Json) =>
      key === "primitive" || key === undefined || !isMap(x) ? JSON.stringify(x) : JSON.stringify(x[key]);
    const pos = new Map(order.map((x, i) => [id(x), i]));
    out[field] = [...list].sort(
      (a, b) => (pos.get(id(a)) ?? order.length) - (pos.get(id(b)) ?? order.length),
    );
  }
  if (retain) for (const k of Object.keys(out)) if (!retain.includes(k)) delete out[k];
  return out;
}

function mergeList(current: Json[], patch: Json[], key: string, path: string[]): Json[] {
  if (key === "primitive") {
    const out = [...current];
    for (const v of patch) if (!out.some((x) => JSON.stringify(x) === JSON.stringify(v))) out.push(v);
    return out;
  }
  if (patch.some((p) => isMap(p) && p.$patch === "replace")) {
    return patch.filter((p) => !(isMap(p) && p.$patch === "replace")).map((p) => structuredClone(p));
  }
  const out = [...current];
  for (const item of patch) {
    if (!isMap(item)) throw new PatchError(`list ${path.join(".")} needs objects with merge key ${key}`);
    const idx = out.findIndex((x) => isMap(x) && x[key] === item[key]);
    if (item.$patch === "delete") {
      if (idx >= 0) out.splice(idx, 1);
      continue;
    }
    if (idx >= 0) out[idx] = strategicMergePatch(out[idx], item, path);
    else out.push(strategicMergePatch({}, item, path));
  }
  return out;
}

interface JsonPatchOp {
  op: string;
  path: string;
  value?: Json;
  from?: string;
}

function pointer(path: string): string[] {
  if (path === "") return [];
  if (!path.startsWith("/")) throw new PatchError(`invalid JSON pointer ${path}`);
  return path
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

export function jsonPatch(target: Json, ops: Json): Json {
  if (!Array.isArray(ops)) throw new PatchError("JSON patch must be an array");
  let doc = structuredClone(target);
  for (const raw of ops as JsonPatchOp[]) {
    const parts = pointer(raw.path);
    const last = parts.pop();
    let parent: Json = doc;
    for (const p of parts) {
      parent = Array.isArray(parent) ? parent[Number(p)] : isMap(parent) ? parent[p] : undefined;
      if (parent === undefined) throw new PatchError(`path ${raw.path} not found`);
    }
    if (last === undefined) {
      if (raw.op === "replace" || raw.op === "add") doc = structuredClone(raw.value);
      continue;
    }
    const get = () =>
      Array.isArray(parent) ? parent[last === "-" ? parent.length : Number(last)] : (parent as JsonMap)[last];
    switch (raw.op) {
      case "add":
        if (Array.isArray(parent))
          parent.splice(last === "-" ? parent.length : Number(last), 0, structuredClone(raw.value));
        else (parent as JsonMap)[last] = structuredClone(raw.value);
        break;
      case "replace":
        if (get() === undefined) throw new PatchError(`path ${raw.path} not found`);
        if (Array.isArray(parent)) parent[Number(last)] = structuredClone(raw.value);
        else (parent as JsonMap)[last] = structuredClone(raw.value);
        break;
      case "remove":
        if (get() === undefined) throw new PatchError(`path ${raw.path} not found`);
        if (Array.isArray(parent)) parent.splice(Number(last), 1);
        else delete (parent as JsonMap)[last];
        break;
      case "test":
        if (JSON.stringify(get()) !== JSON.stringify(raw.value))
          throw new PatchError(`test failed at ${raw.path}`);
        break;
      default:
        throw new PatchError(`unsupported JSON patch op ${raw.op}`);
    }
  }
  return doc;
}
