import { createHash } from "node:crypto";
import type { Pod } from "../../core/api/mod.ts";
import { invalidArgument, KiteError } from "../../core/errors/mod.ts";
import { parseQuantity } from "../../core/quantity/mod.ts";

const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function checkStringArray(v: unknown, field: string): void {
  if (v === undefined) return;
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string"))
    throw invalidArgument(field, "must be a list of strings");
}

function checkPort(v: unknown, field: string, named: boolean): void {
  if (typeof v === "number") {
    if (!Number.isInteger(v) || v < 1 || v > 65535)
      throw invalidArgument(field, `${v} must be between 1 and 65535`);
    return;
  }
  if (named && typeof v === "string" && /^[a-z0-9-]{1,15}$/.test(v)) return;
  throw invalidArgument(field, `${JSON.stringify(v)} is not a valid port`);
}

function checkProbe(p: unknown, field: string): void {
  if (p === undefined) return;
  if (!isObject(p)) throw invalidArgument(field, "must be an object");
  const handlers = ["exec", "httpGet", "tcpSocket", "grpc"].filter((h) => p[h] !== undefined);
  if (handlers.length !== 1)
    throw invalidArgument(field, "must specify exactly one handler (exec, httpGet, tcpSocket, grpc)");
  for (const k of [
    "initialDelaySeconds",
    "timeoutSeconds",
    "periodSeconds",
    "successThreshold",
    "failureThreshold",
  ]) {
    const v = p[k];
    if (v !== undefined && (typeof v !== "number" || !Number.isInteger(v) || v < 0)) {
      throw invalidArgument(`${field}.${k}`, "must be a non-negative integer");
    }
  }
  const h = p.httpGet ?? p.tcpSocket;
  if (isObject(h)) checkPort(h.port, `${field}.${p.httpGet ? "httpGet" : "tcpSocket"}.port`, true);
  if (isObject(p.grpc)) checkPort(p.grpc.port, `${field}.grpc.port`, false);
  if (isObject(p.exec)) checkStringArray(p.exec.command, `${field}.exec.command`);
}

function checkContainer(c: unknown, field: string, names: Set<string>): void {
  if (!isObject(c)) throw invalidArgument(field, "must be an object");
  if (typeof c.name !== "string" || !dns1123Label.test(c.name)) {
    throw invalidArgument(`${field}.name`, `${JSON.stringify(c.name)} must be a DNS-1123 label`);
  }
  if (names.has(c.name))
    throw invalidArgument(`${field}.name`, `duplicate container name ${JSON.stringify(c.name)}`);
  names.add(c.name);
  if (typeof c.image !== "string" || c.image.trim() === "")
    throw invalidArgument(`${field}.image`, "is required");
  checkStringArray(c.command, `${field}.command`);
  checkStringArray(c.args, `${field}.args`);
  if (
    c.imagePullPolicy !== undefined &&
    !["Always", "IfNotPresent", "Never"].includes(c.imagePullPolicy as string)
  ) {
    throw invalidArgument(
      `${field}.imagePullPolicy`,
      `unsupported value ${JSON.stringify(c.imagePullPolicy)}`,
    );
  }
  if (c.env !== undefined) {
    if (!Array.isArray(c.env)) throw invalidArgument(`${field}.env`, "must be a list");
    c.env.forEach((e, i) => {
      if (!isObject(e) || typeof e.name !== "string" || e.name === "") {
        throw invalidArgument(`${field}.env[${i}].name`, "is required");
      }
    });
  }
  if (c.ports !== undefined) {
    if (!Array.isArray(c.ports)) throw invalidArgument(`${field}.ports`, "must be a list");
    c.ports.forEach((p, i) => {
      if (!isObject(p)) throw invalidArgument(`${field}.ports[${i}]`, "must be an object");
      checkPort(p.containerPort, `${field}.ports[${i}].containerPort`, false);
      if (p.hostPort !== undefined) checkPort(p.hostPort, `${field}.ports[${i}].hostPort`, false);
    });
  }
  const res = c.resources;
  if (res !== undefined) {
    if (!isObject(res)) throw invalidArgument(`${field}.resources`, "must be an object");
    for (const kind of ["requests", "limits"]) {
      const list = res[kind];
      if (list === undefined) continue;
      if (!isObject(list)) throw invalidArgument(`${field}.resources.${kind}`, "must be a map");
      for (const [name, v] of Object.entries(list)) {
        try {
          parseQuantity(String(v));
        } catch (e) {
          throw invalidArgument(`${field}.resources.${kind}.${name}`, KiteError.from(e).rawMessage);
        }
      }
    }
  }
  for (const probe of ["livenessProbe", "readinessProbe", "startupProbe"])
    checkProbe(c[probe], `${field}.${probe}`);
}

/** Checks the parts of a pod the node agent relies on; throws a KiteError naming the field. */
export function validatePod(obj: unknown): Pod {
  if (!isObject(obj)) throw invalidArgument("", "manifest must be an object");
  if (obj.kind !== undefined && obj.kind !== "Pod")
    throw invalidArgument("kind", `${JSON.stringify(obj.kind)} is not Pod`);
  const meta = obj.metadata;
  if (!isObject(meta)) throw invalidArgument("metadata", "is required");
  if (typeof meta.name !== "string" || !dns1123Subdomain.test(meta.name)) {
    throw invalidArgument("metadata.name", `${JSON.stringify(meta.name)} must be a DNS-1123 subdomain`);
  }
  if (
    meta.namespace !== undefined &&
    (typeof meta.namespace !== "string" || !dns1123Label.test(meta.namespace))
  ) {
    throw invalidArgument("metadata.namespace", `${JSON.stringify(meta.namespace)} must be a DNS-1123 label`);
  }
  const spec = obj.spec;
  if (!isObject(spec)) throw invalidArgument("spec", "is required");
  if (!Array.isArray(spec.containers) || spec.containers.length === 0) {
    throw invalidArgument("spec.containers", "at least one container is required");
  }
  const names = new Set<string>();
  for (const [i, c] of ((spec.initContainers as unknown[] | undefined) ?? []).entries()) {
    checkContainer(c, `spec.initContainers[${i}]`, names);
  }
  for (const [i, c] of spec.containers.entries()) checkContainer(c, `spec.containers[${i}]`, names);
  if (
    spec.restartPolicy !== undefined &&
    !["Always", "OnFailure", "Never"].includes(spec.restartPolicy as string)
  ) {
    throw invalidArgument("spec.restartPolicy", `unsupported value ${JSON.stringify(spec.restartPolicy)}`);
  }
  const grace = spec.terminationGracePeriodSeconds;
  if (grace !== undefined && (typeof grace !== "number" || grace < 0)) {
    throw invalidArgument("spec.terminationGracePeriodSeconds", "must be a non-negative number");
  }
  const volumes = new Set<string>();
  (spec.volumes as unknown[] | undefined)?.forEach((v, i) => {
    if (!isObject(v) || typeof v.name !== "string" || !dns1123Label.test(v.name)) {
      throw invalidArgument(`spec.volumes[${i}].name`, "must be a DNS-1123 label");
    }
    if (v.emptyDir === undefined && v.hostPath === undefined) {
      throw invalidArgument(`spec.volumes[${i}]`, "kite supports emptyDir and hostPath volumes only");
    }
    if (v.hostPath !== undefined && (!isObject(v.hostPath) || typeof v.hostPath.path !== "string")) {
      throw invalidArgument(`spec.volumes[${i}].hostPath.path`, "is required");
    }
    volumes.add(v.name);
  });
  const all = [...((spec.initContainers as unknown[]) ?? []), ...spec.containers] as Record<
    string,
    unknown
  >[];
  for (const [ci, c] of all.entries()) {
    const mounts = c.volumeMounts as { name?: string }[] | undefined;
    mounts?.forEach((m, mi) => {
      if (!m?.name || !volumes.has(m.name)) {
        const list = ci < ((spec.initContainers as unknown[]) ?? []).length ? "initContainers" : "containers";
        const idx = list === "containers" ? ci - ((spec.initContainers as unknown[]) ?? []).length : ci;
        throw invalidArgument(
          `spec.${list}[${idx}].volumeMounts[${mi}].name`,
          `volume ${JSON.stringify(m?.name)} not found`,
        );
      }
    });
  }
  return obj as unknown as Pod;
}

/**
 * The kubelet's applyDefaults for a static pod (config/common.go): UID from a hash of the manifest, node and source,
 * name suffixed with the node name, namespace "default", config annotations, node name set.
 */
export function applyStaticPodDefaults(pod: Pod, nodeName: string, source: string): Pod {
  const out = structuredClone(pod);
  const hash = createHash("sha256");
  hash.update(JSON.stringify(pod));
  hash.update(`host:${nodeName}`);
  hash.update(`file:${source}`);
  const uid = hash.digest("hex").slice(0, 32);
  out.metadata.uid = uid;
  out.metadata.name = `${pod.metadata.name}-${nodeName.toLowerCase()}`;
  out.metadata.namespace = pod.metadata.namespace || "default";
  out.metadata.annotations = {
    ...out.metadata.annotations,
    "kubernetes.io/config.hash": uid,
    "kubernetes.io/config.source": "file",
    "kubernetes.io/config.seen": new Date().toISOString(),
  };
  out.spec.nodeName = nodeName;
  // API defaulting (the kubelet decodes static pods with the scheme's defaults): requests default to limits.
  for (const c of [...(out.spec.initContainers ?? []), ...out.spec.containers]) {
    const limits = c.resources?.limits;
    if (!limits) continue;
    c.resources!.requests = { ...limits, ...(c.resources!.requests ?? {}) };
  }
  out.spec.restartPolicy ??= "Always";
  out.spec.terminationGracePeriodSeconds ??= 30;
  out.spec.tolerations = [...(out.spec.tolerations ?? []), { operator: "Exists", effect: "NoExecute" }];
  out.status = { phase: "Pending" };
  return out;
}
