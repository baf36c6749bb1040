/**
 * Structural checks on the Pod and Node objects the scheduler reads, so that
 * bad input from a request or a file fails with a KiteError naming the field
 * instead of surfacing deep inside a plugin. Quantities are checked where
 * they are parsed (NodeInfo / PodInfo).
 */
import type { Node, Pod } from "../api/mod.ts";
import { invalidArgument } from "../errors/mod.ts";

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function obj(v: unknown, field: string, optional = true): Obj | undefined {
  if (v === undefined || (optional && v === null)) return undefined;
  if (!isObj(v)) throw invalidArgument(field, `must be an object, got ${describe(v)}`);
  return v;
}

function arr(v: unknown, field: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw invalidArgument(field, `must be a list, got ${describe(v)}`);
  return v;
}

function str(v: unknown, field: string, optional = true): void {
  if (v === undefined && optional) return;
  if (typeof v !== "string") throw invalidArgument(field, `must be a string, got ${describe(v)}`);
}

function num(v: unknown, field: string): void {
  if (v === undefined || v === null) return;
  if (typeof v !== "number" || !Number.isFinite(v))
    throw invalidArgument(field, `must be a number, got ${describe(v)}`);
}

function stringMap(v: unknown, field: string): void {
  const o = obj(v, field);
  if (!o) return;
  for (const [k, val] of Object.entries(o)) str(val, `${field}[${k}]`, false);
}

function quantityMap(v: unknown, field: string): void {
  const o = obj(v, field);
  if (!o) return;
  for (const [k, val] of Object.entries(o)) {
    if (typeof val !== "string" && typeof val !== "number") {
      throw invalidArgument(`${field}[${k}]`, `must be a quantity string, got ${describe(val)}`);
    }
  }
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  return typeof v === "object" ? "an object" : `${typeof v} ${JSON.stringify(v)}`;
}

function requirements(v: unknown, field: string): void {
  arr(v, field).forEach((r, i) => {
    const f = `${field}[${i}]`;
    const o = obj(r, f, false)!;
    str(o.key, `${f}.key`, false);
    str(o.operator, `${f}.operator`, false);
    arr(o.values, `${f}.values`).forEach((x, j) => {
      str(x, `${f}.values[${j}]`, false);
    });
  });
}

function nodeSelectorTerm(v: unknown, field: string): void {
  const o = obj(v, field, false)!;
  requirements(o.matchExpressions, `${field}.matchExpressions`);
  requirements(o.matchFields, `${field}.matchFields`);
}

function labelSelectorShape(v: unknown, field: string): void {
  const o = obj(v, field);
  if (!o) return;
  stringMap(o.matchLabels, `${field}.matchLabels`);
  requirements(o.matchExpressions, `${field}.matchExpressions`);
}

function stringList(v: unknown, field: string): void {
  arr(v, field).forEach((x, i) => {
    str(x, `${field}[${i}]`, false);
  });
}

function podAffinityTerm(v: unknown, field: string): void {
  const o = obj(v, field, false)!;
  str(o.topologyKey, `${field}.topologyKey`, false);
  labelSelectorShape(o.labelSelector, `${field}.labelSelector`);
  labelSelectorShape(o.namespaceSelector, `${field}.namespaceSelector`);
  stringList(o.namespaces, `${field}.namespaces`);
  stringList(o.matchLabelKeys, `${field}.matchLabelKeys`);
  stringList(o.mismatchLabelKeys, `${field}.mismatchLabelKeys`);
}

function metadata(v: unknown, field: string, nameRequired: boolean): void {
  const m = obj(v, field, false);
  if (!m) throw invalidArgument(field, "is required");
  str(m.name, `${field}.name`, !nameRequired);
  str(m.namespace, `${field}.namespace`);
  str(m.uid, `${field}.uid`);
  stringMap(m.labels, `${field}.labels`);
  stringMap(m.annotations, `${field}.annotations`);
}

function containers(v: unknown, field: string): void {
  arr(v, field).forEach((c, i) => {
    const f = `${field}[${i}]`;
    const o = obj(c, f, false)!;
    str(o.name, `${f}.name`);
    str(o.image, `${f}.image`);
    const r = obj(o.resources, `${f}.resources`);
    if (r) {
      quantityMap(r.requests, `${f}.resources.requests`);
      quantityMap(r.limits, `${f}.resources.limits`);
    }
    arr(o.ports, `${f}.ports`).forEach((p, j) => {
      const pf = `${f}.ports[${j}]`;
      const po = obj(p, pf, false)!;
      num(po.hostPort, `${pf}.hostPort`);
      num(po.containerPort, `${pf}.containerPort`);
      str(po.hostIP, `${pf}.hostIP`);
      str(po.protocol, `${pf}.protocol`);
    });
  });
}

export function validatePod(pod: unknown, field: string): asserts pod is Pod {
  const p = obj(pod, field, false);
  if (!p) throw invalidArgument(field, "is required");
  metadata(p.metadata, `${field}.metadata`, false);
  const spec = obj(p.spec, `${field}.spec`, false);
  if (!spec) throw invalidArgument(`${field}.spec`, "is required");
  if (!Array.isArray(spec.containers)) throw invalidArgument(`${field}.spec.containers`, "must be a list");
  containers(spec.containers, `${field}.spec.containers`);
  containers(spec.initContainers, `${field}.spec.initContainers`);
  str(spec.nodeName, `${field}.spec.nodeName`);
  num(spec.priority, `${field}.spec.priority`);
  stringMap(spec.nodeSelector, `${field}.spec.nodeSelector`);
  quantityMap(spec.overhead, `${field}.spec.overhead`);
  const res = obj(spec.resources, `${field}.spec.resources`);
  if (res) quantityMap(res.requests, `${field}.spec.resources.requests`);
  arr(spec.tolerations, `${field}.spec.tolerations`).forEach((t, i) => {
    const f = `${field}.spec.tolerations[${i}]`;
    const o = obj(t, f, false)!;
    for (const k of ["key", "operator", "value", "effect"]) str(o[k], `${f}.${k}`);
  });
  const aff = obj(spec.affinity, `${field}.spec.affinity`);
  if (aff) {
    for (const k of ["nodeAffinity", "podAffinity", "podAntiAffinity"]) {
      const a = obj(aff[k], `${field}.spec.affinity.${k}`);
      if (!a) continue;
      const reqField = `${field}.spec.affinity.${k}.requiredDuringSchedulingIgnoredDuringExecution`;
      if (k === "nodeAffinity") {
        const req = obj(a.requiredDuringSchedulingIgnoredDuringExecution, reqField);
        if (req)
          arr(req.nodeSelectorTerms, `${reqField}.nodeSelectorTerms`).forEach((t, i) => {
            nodeSelectorTerm(t, `${reqField}.nodeSelectorTerms[${i}]`);
          });
      } else {
        arr(a.requiredDuringSchedulingIgnoredDuringExecution, reqField).forEach((t, i) => {
          podAffinityTerm(t, `${reqField}[${i}]`);
        });
      }
      const prefField = `${field}.spec.affinity.${k}.preferredDuringSchedulingIgnoredDuringExecution`;
      arr(a.preferredDuringSchedulingIgnoredDuringExecution, prefField).forEach((t, i) => {
        const o = obj(t, `${prefField}[${i}]`, false)!;
        num(o.weight, `${prefField}[${i}].weight`);
        if (k === "nodeAffinity") nodeSelectorTerm(o.preference ?? {}, `${prefField}[${i}].preference`);
        else podAffinityTerm(o.podAffinityTerm, `${prefField}[${i}].podAffinityTerm`);
      });
    }
  }
  arr(spec.topologySpreadConstraints, `${field}.spec.topologySpreadConstraints`).forEach((c, i) => {
    const f = `${field}.spec.topologySpreadConstraints[${i}]`;
    const o = obj(c, f, false)!;
    num(o.maxSkew, `${f}.maxSkew`);
    str(o.topologyKey, `${f}.topologyKey`, false);
    str(o.whenUnsatisfiable, `${f}.whenUnsatisfiable`, false);
    labelSelectorShape(o.labelSelector, `${f}.labelSelector`);
    stringList(o.matchLabelKeys, `${f}.matchLabelKeys`);
    num(o.minDomains, `${f}.minDomains`);
  });
  arr(spec.volumes, `${field}.spec.volumes`).forEach((v, i) => {
    obj(v, `${field}.spec.volumes[${i}]`, false);
  });
  const status = obj(p.status, `${field}.status`);
  if (status) str(status.phase, `${field}.status.phase`);
}

export function validateNode(node: unknown, field: string): asserts node is Node {
  const n = obj(node, field, false);
  if (!n) throw invalidArgument(field, "is required");
  metadata(n.metadata, `${field}.metadata`, true);
  const spec = obj(n.spec, `${field}.spec`);
  if (spec) {
    arr(spec.taints, `${field}.spec.taints`).forEach((t, i) => {
      const f = `${field}.spec.taints[${i}]`;
      const o = obj(t, f, false)!;
      str(o.key, `${f}.key`, false);
      str(o.value, `${f}.value`);
      str(o.effect, `${f}.effect`, false);
    });
    if (spec.unschedulable !== undefined && typeof spec.unschedulable !== "boolean") {
      throw invalidArgument(`${field}.spec.unschedulable`, "must be a boolean");
    }
  }
  const status = obj(n.status, `${field}.status`);
  if (status) {
    quantityMap(status.allocatable, `${field}.status.allocatable`);
    quantityMap(status.capacity, `${field}.status.capacity`);
    arr(status.images, `${field}.status.images`).forEach((img, i) => {
      const o = obj(img, `${field}.status.images[${i}]`, false)!;
      arr(o.names, `${field}.status.images[${i}].names`).forEach((s, j) => {
        str(s, `${field}.status.images[${i}].names[${j}]`, false);
      });
      num(o.sizeBytes, `${field}.status.images[${i}].sizeBytes`);
    });
  }
}
