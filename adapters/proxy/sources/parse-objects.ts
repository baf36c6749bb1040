/**
 * Reads Services, EndpointSlices and Nodes from YAML or JSON text (multi-document, or `kind: List`).
 * Each document is checked for the shape the proxy relies on; a bad document is reported with its
 * field path and skipped, the others are kept.
 */
import { parseAllDocuments } from "yaml";
import type { EndpointSlice, Node, Service } from "../../../core/api/mod.ts";
import type { SourceProblem } from "./source.ts";

export type ProxyObject =
  | { kind: "Service"; object: Service }
  | { kind: "EndpointSlice"; object: EndpointSlice }
  | { kind: "Node"; object: Node };

/** `kind/namespace/name`, the identity of an object across files. */
export function objectKey(kind: string, namespace: string | undefined, name: string): string {
  return `${kind}/${namespace ?? ""}/${name}`;
}

export interface ParsedObjects {
  objects: ProxyObject[];
  problems: SourceProblem[];
  /** Keys of documents that were rejected but whose identity could be read (keep their last good version). */
  rejectedKeys: string[];
  /** The text itself could not be parsed (YAML/JSON syntax): nothing from it is usable. */
  syntaxError: boolean;
}

class FieldError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.field = field;
  }
}

type Json = Record<string, unknown>;

const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

function obj(v: unknown, field: string, optional = false): Json | undefined {
  if (v === undefined || v === null) {
    if (optional) return undefined;
    throw new FieldError(field, "required");
  }
  if (!isObj(v)) throw new FieldError(field, "must be an object");
  return v;
}
function arr(v: unknown, field: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new FieldError(field, "must be a list");
  return v;
}
function str(v: unknown, field: string, optional = true): void {
  if (v === undefined || v === null) {
    if (!optional) throw new FieldError(field, "required");
    return;
  }
  if (typeof v !== "string") throw new FieldError(field, `must be a string, got ${JSON.stringify(v)}`);
}
function port(v: unknown, field: string, optional: boolean): void {
  if (v === undefined || v === null) {
    if (!optional) throw new FieldError(field, "required");
    return;
  }
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > 65535) {
    throw new FieldError(field, `must be a port number (0-65535), got ${JSON.stringify(v)}`);
  }
}
function bool(v: unknown, field: string): void {
  if (v !== undefined && v !== null && typeof v !== "boolean") {
    throw new FieldError(field, `must be true or false, got ${JSON.stringify(v)}`);
  }
}
function strList(v: unknown, field: string): void {
  arr(v, field).forEach((s, i) => {
    str(s, `${field}[${i}]`, false);
  });
}
function oneOf(v: unknown, field: string, allowed: string[]): void {
  if (v === undefined || v === null) return;
  if (typeof v !== "string" || !allowed.includes(v)) {
    throw new FieldError(field, `must be one of ${allowed.join(", ")}, got ${JSON.stringify(v)}`);
  }
}
function stringMap(v: unknown, field: string): void {
  const m = obj(v, field, true);
  if (!m) return;
  for (const [k, val] of Object.entries(m)) str(val, `${field}.${k}`, false);
}

function checkMeta(doc: Json, namespaced: boolean): void {
  const meta = obj(doc.metadata, "metadata")!;
  str(meta.name, "metadata.name", false);
  if (meta.name === "") throw new FieldError("metadata.name", "required");
  if (namespaced) str(meta.namespace, "metadata.namespace");
  stringMap(meta.labels, "metadata.labels");
  stringMap(meta.annotations, "metadata.annotations");
}

const protocols = ["TCP", "UDP", "SCTP"];

function checkService(doc: Json): void {
  checkMeta(doc, true);
  const spec = obj(doc.spec, "spec")!;
  oneOf(spec.type, "spec.type", ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"]);
  str(spec.clusterIP, "spec.clusterIP");
  strList(spec.clusterIPs, "spec.clusterIPs");
  strList(spec.externalIPs, "spec.externalIPs");
  strList(spec.loadBalancerSourceRanges, "spec.loadBalancerSourceRanges");
  oneOf(spec.sessionAffinity, "spec.sessionAffinity", ["None", "ClientIP"]);
  oneOf(spec.externalTrafficPolicy, "spec.externalTrafficPolicy", ["Cluster", "Local"]);
  oneOf(spec.internalTrafficPolicy, "spec.internalTrafficPolicy", ["Cluster", "Local"]);
  port(spec.healthCheckNodePort, "spec.healthCheckNodePort", true);
  const sac = obj(spec.sessionAffinityConfig, "spec.sessionAffinityConfig", true);
  const cip = sac ? obj(sac.clientIP, "spec.sessionAffinityConfig.clientIP", true) : undefined;
  const timeout = cip?.timeoutSeconds;
  if (timeout !== undefined && (typeof timeout !== "number" || !Number.isInteger(timeout) || timeout < 0)) {
    throw new FieldError(
      "spec.sessionAffinityConfig.clientIP.timeoutSeconds",
      `must be a whole number of seconds, got ${JSON.stringify(timeout)}`,
    );
  }
  arr(spec.ports, "spec.ports").forEach((p, i) => {
    const f = `spec.ports[${i}]`;
    const sp = obj(p, f)!;
    str(sp.name, `${f}.name`);
    oneOf(sp.protocol, `${f}.protocol`, protocols);
    port(sp.port, `${f}.port`, false);
    port(sp.nodePort, `${f}.nodePort`, true);
    if (sp.targetPort !== undefined && typeof sp.targetPort !== "string")
      port(sp.targetPort, `${f}.targetPort`, true);
  });
  const status = obj(doc.status, "status", true);
  const lb = status ? obj(status.loadBalancer, "status.loadBalancer", true) : undefined;
  arr(lb?.ingress, "status.loadBalancer.ingress").forEach((ing, i) => {
    const f = `status.loadBalancer.ingress[${i}]`;
    const o = obj(ing, f)!;
    str(o.ip, `${f}.ip`);
    str(o.hostname, `${f}.hostname`);
    oneOf(o.ipMode, `${f}.ipMode`, ["VIP", "Proxy"]);
  });
}

function checkEndpointSlice(doc: Json): void {
  checkMeta(doc, true);
  oneOf(doc.addressType, "addressType", ["IPv4", "IPv6", "FQDN"]);
  if (doc.addressType === undefined) throw new FieldError("addressType", "required");
  arr(doc.endpoints, "endpoints").forEach((e, i) => {
    const f = `endpoints[${i}]`;
    const ep = obj(e, f)!;
    if (ep.addresses === undefined) throw new FieldError(`${f}.addresses`, "required");
    strList(ep.addresses, `${f}.addresses`);
    str(ep.nodeName, `${f}.nodeName`);
    str(ep.zone, `${f}.zone`);
    const c = obj(ep.conditions, `${f}.conditions`, true);
    if (c) for (const k of ["ready", "serving", "terminating"]) bool(c[k], `${f}.conditions.${k}`);
  });
  arr(doc.ports, "ports").forEach((p, i) => {
    const f = `ports[${i}]`;
    const o = obj(p, f)!;
    str(o.name, `${f}.name`);
    oneOf(o.protocol, `${f}.protocol`, protocols);
    port(o.port, `${f}.port`, true);
  });
}

function checkNode(doc: Json): void {
  checkMeta(doc, false);
  const spec = obj(doc.spec, "spec", true);
  arr(spec?.taints, "spec.taints").forEach((t, i) => {
    const o = obj(t, `spec.taints[${i}]`)!;
    str(o.key, `spec.taints[${i}].key`, false);
  });
  const status = obj(doc.status, "status", true);
  arr(status?.addresses, "status.addresses").forEach((a, i) => {
    const o = obj(a, `status.addresses[${i}]`)!;
    str(o.type, `status.addresses[${i}].type`, false);
    str(o.address, `status.addresses[${i}].address`, false);
  });
}

const kinds = new Set(["Service", "EndpointSlice", "Node"]);

function identity(doc: unknown): string | undefined {
  if (!isObj(doc) || typeof doc.kind !== "string" || !isObj(doc.metadata)) return undefined;
  const m = doc.metadata;
  if (typeof m.name !== "string") return undefined;
  return objectKey(doc.kind, typeof m.namespace === "string" ? m.namespace : undefined, m.name);
}

/** Parses one file's text. Namespaced objects without a namespace get "default", as kubectl does. */
export function parseObjects(text: string, origin: string): ParsedObjects {
  const out: ParsedObjects = { objects: [], problems: [], rejectedKeys: [], syntaxError: false };
  let docs: unknown[];
  try {
    const parsed = parseAllDocuments(text, { prettyErrors: false });
    const list = Array.isArray(parsed) ? parsed : [parsed];
    docs = [];
    for (const [i, d] of list.entries()) {
      if (d.errors.length > 0) {
        const e = d.errors[0]!;
        const line = e.linePos?.[0]?.line;
        out.problems.push({
          origin,
          field: `[${i}]`,
          message: `not valid YAML/JSON${line ? ` (line ${line})` : ""}: ${e.message.split("\n")[0]}`,
        });
        out.syntaxError = true;
        return out;
      }
      docs.push(d.toJS({ maxAliasCount: 100 }));
    }
  } catch (e) {
    out.problems.push({ origin, field: "", message: `cannot parse: ${(e as Error).message}` });
    out.syntaxError = true;
    return out;
  }
  const flat: { doc: unknown; path: string }[] = [];
  docs.forEach((doc, i) => {
    if (doc === null || doc === undefined) return;
    if (
      (isObj(doc) && doc.kind === "List") ||
      (isObj(doc) && typeof doc.kind === "string" && doc.kind.endsWith("List"))
    ) {
      arr((doc as Json).items, `[${i}].items`).forEach((item, j) => {
        flat.push({ doc: item, path: `[${i}].items[${j}]` });
      });
    } else {
      flat.push({ doc, path: `[${i}]` });
    }
  });
  for (const { doc, path } of flat) {
    try {
      if (!isObj(doc)) throw new FieldError("", "must be an object");
      if (typeof doc.kind !== "string") throw new FieldError("kind", "required");
      if (!kinds.has(doc.kind)) continue; // other kinds (Pods, Deployments, ...) are not the proxy's business
      if (doc.kind === "Service") checkService(doc);
      else if (doc.kind === "EndpointSlice") checkEndpointSlice(doc);
      else checkNode(doc);
      const meta = doc.metadata as Json;
      if (doc.kind !== "Node" && meta.namespace === undefined) meta.namespace = "default";
      if (doc.kind === "EndpointSlice" && doc.endpoints === undefined) doc.endpoints = [];
      out.objects.push({ kind: doc.kind, object: doc } as unknown as ProxyObject);
    } catch (e) {
      const fe = e instanceof FieldError ? e : new FieldError("", String(e));
      out.problems.push({ origin, field: fe.field ? `${path}.${fe.field}` : path, message: fe.message });
      const id = identity(doc);
      if (id) {
        const ns =
          isObj(doc) && isObj(doc.metadata) && doc.metadata.namespace === undefined && doc.kind !== "Node";
        out.rejectedKeys.push(ns ? id.replace(/^([^/]+)\/\//, "$1/default/") : id);
      }
    }
  }
  return out;
}
