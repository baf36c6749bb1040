/**
 * The Node object kite registers and the status it reports, built from what the node agent observed
 * (upstream: pkg/kubelet/kubelet_node_status.go and nodestatus/setters.go).
 */
import type {
  Node,
  NodeAddress,
  NodeCondition,
  NodeSystemInfo,
  ResourceList,
  Taint,
} from "../../core/api/mod.ts";
import { formatQuantity, parseQuantity, subtractQuantity, zeroQuantity } from "../../core/quantity/mod.ts";

export interface NodeConfig {
  nodeName: string;
  /** Labels added at registration (--node-labels), on top of the well-known ones. */
  labels?: Record<string, string>;
  /** --register-with-taints. */
  taints?: Taint[];
  /** Machine capacity: cpu, memory, pods, ephemeral-storage, hugepages-*. */
  capacity: ResourceList;
  /** --kube-reserved, --system-reserved. */
  kubeReserved?: ResourceList;
  systemReserved?: ResourceList;
  /** Hard eviction thresholds as absolute quantities (memory.available → memory, nodefs.available → ephemeral-storage). */
  evictionHard?: ResourceList;
  addresses: NodeAddress[];
  nodeInfo: NodeSystemInfo;
  /** Kubelet port advertised in daemonEndpoints. */
  port?: number;
  podCIDR?: string;
  providerID?: string;
}

/** Node status inputs that change at run time. */
export interface NodeHealth {
  /** The runtime and network are ready; message explains otherwise. */
  ready: boolean;
  readyMessage?: string;
  memoryPressure: boolean;
  diskPressure: boolean;
  pidPressure: boolean;
}

export const notReadyTaintKey = "node.kubernetes.io/not-ready";
export const pressureTaints = {
  memoryPressure: "node.kubernetes.io/memory-pressure",
  diskPressure: "node.kubernetes.io/disk-pressure",
  pidPressure: "node.kubernetes.io/pid-pressure",
} as const;

/** allocatable = capacity − kubeReserved − systemReserved − hard eviction thresholds, never below 0. */
export function computeAllocatable(
  config: Pick<NodeConfig, "capacity" | "kubeReserved" | "systemReserved" | "evictionHard">,
): ResourceList {
  const out: ResourceList = {};
  for (const [name, value] of Object.entries(config.capacity)) {
    let q = parseQuantity(value, `capacity.${name}`);
    for (const [src, list] of [
      ["kubeReserved", config.kubeReserved],
      ["systemReserved", config.systemReserved],
      ["evictionHard", config.evictionHard],
    ] as const) {
      const r = list?.[name];
      if (r !== undefined) q = subtractQuantity(q, parseQuantity(r, `${src}.${name}`));
    }
    if (q.unscaled < 0n) q = zeroQuantity;
    out[name] = formatQuantity(q);
  }
  return out;
}

export function nodeLabels(config: NodeConfig): Record<string, string> {
  return {
    ...config.labels,
    "kubernetes.io/hostname": config.nodeName,
    "kubernetes.io/os": config.nodeInfo.operatingSystem,
    "kubernetes.io/arch": config.nodeInfo.architecture,
    "beta.kubernetes.io/os": config.nodeInfo.operatingSystem,
    "beta.kubernetes.io/arch": config.nodeInfo.architecture,
  };
}

/** The Node as first registered: NotReady until the first status update says otherwise. */
export function initialNode(config: NodeConfig, now: Date): Node {
  const taints: Taint[] = [...(config.taints ?? [])];
  // Upstream registers with the not-ready taint; the node lifecycle controller removes it once Ready.
  if (!taints.some((t) => t.key === notReadyTaintKey))
    taints.push({ key: notReadyTaintKey, effect: "NoSchedule" });
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name: config.nodeName,
      labels: nodeLabels(config),
      annotations: { "volumes.kubernetes.io/controller-managed-attach-detach": "true" },
    },
    spec: {
      taints,
      ...(config.podCIDR ? { podCIDR: config.podCIDR, podCIDRs: [config.podCIDR] } : {}),
      ...(config.providerID ? { providerID: config.providerID } : {}),
    },
    status: nodeStatus(
      config,
      {
        ready: false,
        readyMessage: "kubelet is starting",
        memoryPressure: false,
        diskPressure: false,
        pidPressure: false,
      },
      [],
      now,
    ),
  };
}

const condition = (
  type: string,
  on: boolean,
  reasons: [string, string],
  messages: [string, string],
): NodeCondition => ({
  type,
  status: on ? "True" : "False",
  reason: on ? reasons[0] : reasons[1],
  message: on ? messages[0] : messages[1],
});

/** Conditions in upstream order, with lastTransitionTime kept when the status did not change. */
export function nodeConditions(
  health: NodeHealth,
  previous: readonly NodeCondition[],
  now: Date,
): NodeCondition[] {
  const stamp = now.toISOString().replace(/\.\d{3}Z$/, "Z");
  const wanted = [
    condition(
      "MemoryPressure",
      health.memoryPressure,
      ["KubeletHasInsufficientMemory", "KubeletHasSufficientMemory"],
      ["kubelet has insufficient memory available", "kubelet has sufficient memory available"],
    ),
    condition(
      "DiskPressure",
      health.diskPressure,
      ["KubeletHasDiskPressure", "KubeletHasNoDiskPressure"],
      ["kubelet has disk pressure", "kubelet has no disk pressure"],
    ),
    condition(
      "PIDPressure",
      health.pidPressure,
      ["KubeletHasInsufficientPID", "KubeletHasSufficientPID"],
      ["kubelet has insufficient PID available", "kubelet has sufficient PID available"],
    ),
    condition(
      "Ready",
      health.ready,
      ["KubeletReady", "KubeletNotReady"],
      ["kubelet is posting ready status", health.readyMessage ?? "kubelet is not ready"],
    ),
  ];
  return wanted.map((c) => {
    const prev = previous.find((p) => p.type === c.type);
    const transition = prev && prev.status === c.status ? (prev.lastTransitionTime ?? stamp) : stamp;
    return { ...c, lastHeartbeatTime: stamp, lastTransitionTime: transition };
  });
}

export function nodeStatus(
  config: NodeConfig,
  health: NodeHealth,
  previous: readonly NodeCondition[],
  now: Date,
): NonNullable<Node["status"]> {
  return {
    capacity: { ...config.capacity },
    allocatable: computeAllocatable(config),
    conditions: nodeConditions(health, previous, now),
    addresses: config.addresses,
    daemonEndpoints: { kubeletEndpoint: { Port: config.port ?? 10250 } },
    nodeInfo: config.nodeInfo,
  };
}

/** The taints a node should carry for its pressure conditions (NoSchedule), others untouched. */
export function reconcilePressureTaints(current: readonly Taint[], health: NodeHealth): Taint[] {
  const keep = current.filter(
    (t) =>
      !Object.values(pressureTaints).includes(t.key as (typeof pressureTaints)[keyof typeof pressureTaints]),
  );
  for (const [cond, key] of Object.entries(pressureTaints)) {
    if (health[cond as keyof typeof pressureTaints]) {
      const existing = current.find((t) => t.key === key && t.effect === "NoSchedule");
      keep.push(existing ?? { key, effect: "NoSchedule" });
    }
  }
  return keep;
}

/** The part of a status that counts as a change (heartbeat times excluded). */
export function statusFingerprint(status: Node["status"]): string {
  return canonicalJson({
    ...status,
    conditions: (status?.conditions ?? []).map((c) => ({ ...c, lastHeartbeatTime: undefined })),
  });
}

/** JSON with object keys sorted, so two equal values always print the same. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (v && typeof v === "object") {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(",")}}`;
  }
  return JSON.stringify(v) ?? "null";
}
