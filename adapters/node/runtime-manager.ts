import { createHash } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import { request } from "node:http";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { Container, LifecycleHandler, Pod, Volume } from "../../core/api/mod.ts";
import { KiteError } from "../../core/errors/mod.ts";
import type { CriClient } from "../cri/mod.ts";
import { cri } from "../cri/mod.ts";
import type { Logger } from "../log/logger.ts";
import { containerLinuxResources, podCgroupParent } from "./container-resources.ts";
import {
  annotationContainerHash,
  annotationPorts,
  annotationPreStop,
  annotationRestartCount,
  annotationSandboxHash,
  annotationTerminationGrace,
  labelContainerName,
  labelPodName,
  labelPodNamespace,
  labelPodUid,
} from "./cri-labels.ts";
import { podDnsConfig } from "./dns.ts";
import {
  containerLogPath,
  emptyDirPath,
  type PodPaths,
  pluginVolumePath,
  podDir,
  podLogDir,
} from "./pod-paths.ts";
import { type Backoff, defaultImagePullPolicy, ensureImageExists, imagePullFailed } from "./policy.ts";
import type { VolumePlugin } from "./volume-plugin.ts";

export interface RuntimeManagerOptions {
  cri: CriClient;
  paths: PodPaths;
  cgroupRoot: string;
  memoryCapacity: number;
  clusterDns: string[];
  clusterDomain: string;
  resolvConf: string;
  log: Logger;
  /** Volume types filled from outside the node (configMap/secret in cluster mode). */
  volumePlugins?: VolumePlugin[];
}

function stableHash(v: unknown): string {
  return createHash("sha256").update(JSON.stringify(v)).digest("hex").slice(0, 16);
}

/** The container hash the kubelet keeps in an annotation; a change restarts the container. */
export function containerHash(c: Container): string {
  return stableHash(c);
}

/** The parts of a pod that shape its sandbox; a change recreates the sandbox. */
export function sandboxHash(pod: Pod): string {
  const ports = [...(pod.spec.initContainers ?? []), ...pod.spec.containers].flatMap((c) =>
    (c.ports ?? [])
      .filter((p) => p.hostPort)
      .map((p) => [p.containerPort, p.hostPort, p.protocol ?? "TCP", p.hostIP]),
  );
  return stableHash([
    pod.spec.hostNetwork ?? false,
    pod.spec.hostname,
    pod.spec.dnsPolicy,
    pod.spec.dnsConfig,
    ports,
  ]);
}

/** The container's imagePullPolicy, defaulted as the API server does (core defaultImagePullPolicy). */
export function pullPolicy(c: Container): "Always" | "IfNotPresent" | "Never" {
  return c.imagePullPolicy ?? defaultImagePullPolicy(c.image ?? "");
}

export class ImagePullError extends Error {
  override name = "ImagePullError";
  readonly reason: "ErrImagePull" | "ErrImageNeverPull" | "InvalidImageName" | "ImagePullBackOff";
  constructor(reason: ImagePullError["reason"], message: string) {
    super(message);
    this.reason = reason;
  }
}

export type SandboxConfig = MessageInitShape<typeof cri.PodSandboxConfigSchema>;
export type ContainerConfig = MessageInitShape<typeof cri.ContainerConfigSchema>;

const protocols: Record<string, cri.Protocol> = {
  TCP: cri.Protocol.TCP,
  UDP: cri.Protocol.UDP,
  SCTP: cri.Protocol.SCTP,
};

/** Carries out the kubelet's runtime actions through the CRI (kuberuntime): sandboxes, images, containers, kills. */
export class RuntimeManager {
  readonly #o: RuntimeManagerOptions;

  constructor(options: RuntimeManagerOptions) {
    this.#o = options;
  }

  /** Start-path trace points (debug level; the node benchmark's KITE_BENCH_TRACE reads them). */
  #trace(pod: Pod, step: string): void {
    this.#o.log.debug("trace", { pod: pod.metadata.name, step, t: Date.now() });
  }

  sandboxConfig(pod: Pod, attempt: number): SandboxConfig {
    const meta = {
      name: pod.metadata.name!,
      uid: pod.metadata.uid!,
      namespace: pod.metadata.namespace!,
      attempt,
    };
    const dns = podDnsConfig(pod, {
      clusterDns: this.#o.clusterDns,
      clusterDomain: this.#o.clusterDomain,
      resolvConf: this.#o.resolvConf,
    });
    const portMappings = [...(pod.spec.initContainers ?? []), ...pod.spec.containers].flatMap((c) =>
      (c.ports ?? [])
        .filter((p) => p.hostPort)
        .map((p) => ({
          protocol: protocols[p.protocol ?? "TCP"] ?? cri.Protocol.TCP,
          containerPort: p.containerPort,
          hostPort: p.hostPort!,
          hostIp: p.hostIP ?? "",
        })),
    );
    return {
      metadata: { ...meta },
      hostname: pod.spec.hostNetwork ? "" : (pod.spec.hostname ?? pod.metadata.name!).slice(0, 63),
      logDirectory: podLogDir(this.#o.paths, pod),
      dnsConfig: { ...dns },
      portMappings: portMappings.map((p) => ({ ...p })),
      labels: {
        [labelPodName]: pod.metadata.name!,
        [labelPodNamespace]: pod.metadata.namespace!,
        [labelPodUid]: pod.metadata.uid!,
      },
      annotations: { ...(pod.metadata.annotations ?? {}), [annotationSandboxHash]: sandboxHash(pod) },
      linux: {
        cgroupParent: podCgroupParent(pod, this.#o.cgroupRoot),
        sysctls: {},
        securityContext: {
          namespaceOptions: {
            network: pod.spec.hostNetwork ? cri.NamespaceMode.NODE : cri.NamespaceMode.POD,
            pid: pod.spec.hostPID ? cri.NamespaceMode.NODE : cri.NamespaceMode.CONTAINER,
            ipc: pod.spec.hostIPC ? cri.NamespaceMode.NODE : cri.NamespaceMode.POD,
            targetId: "",
          },
          readonlyRootfs: false,
          supplementalGroups: [],
          privileged: false,
          seccompProfilePath: "",
        },
      },
    };
  }

  #plugin(v: Volume | undefined): VolumePlugin | undefined {
    return v ? this.#o.volumePlugins?.find((p) => p.handles(v)) : undefined;
  }

  /**
   * Sets up (or refreshes) the pod's plugin volumes (configMap, secret). Throws a KiteError naming the first
   * volume that failed, in upstream's words ("MountVolume.SetUp failed for volume ...").
   */
  async setUpPluginVolumes(pod: Pod): Promise<void> {
    const uid = pod.metadata.uid!;
    for (const v of pod.spec.volumes ?? []) {
      const plugin = this.#plugin(v);
      if (!plugin) continue;
      try {
        await plugin.setUp(pod, v, pluginVolumePath(this.#o.paths, uid, plugin.pluginName, v.name));
      } catch (e) {
        const err = KiteError.from(e);
        throw new KiteError(err.code, `MountVolume.SetUp failed for volume "${v.name}" : ${err.rawMessage}`, {
          field: `spec.volumes[${v.name}]`,
          cause: e,
        });
      }
    }
  }

  /** Creates the pod's log and volume folders and runs its sandbox; returns the sandbox id and IP. */
  async runSandbox(pod: Pod, attempt: number): Promise<{ id: string; ip: string }> {
    const config = this.sandboxConfig(pod, attempt);
    mkdirSync(config.logDirectory!, { recursive: true });
    for (const v of pod.spec.volumes ?? []) {
      if (v.emptyDir) mkdirSync(emptyDirPath(this.#o.paths, pod.metadata.uid!, v.name), { recursive: true });
      if (v.hostPath && (v.hostPath.type === "DirectoryOrCreate" || v.hostPath.type === undefined)) {
        if (v.hostPath.type === "DirectoryOrCreate") mkdirSync(v.hostPath.path, { recursive: true });
      }
    }
    this.#trace(pod, "RunPodSandbox");
    const { podSandboxId } = await this.#o.cri.runtime.runPodSandbox({ config }, 120_000);
    this.#trace(pod, "RunPodSandbox done");
    // A host-network sandbox has no IP of its own (the runtime reports none; the pod's IP is the node's).
    if (pod.spec.hostNetwork) return { id: podSandboxId, ip: "" };
    const status = await this.#o.cri.runtime.podSandboxStatus({ podSandboxId });
    this.#trace(pod, "PodSandboxStatus done");
    return { id: podSandboxId, ip: status.status?.network?.ip ?? "" };
  }

  /**
   * Makes sure the image is present per imagePullPolicy (core ensureImageExists: use, pull, or wait with
   * ErrImageNeverPull / ImagePullBackOff); returns the image ref or throws an ImagePullError with the waiting reason.
   */
  async ensureImage(
    pod: Pod,
    c: Container,
    backoff: Backoff,
    now: number,
    prefetched?: Promise<cri.Image | undefined>,
  ): Promise<string> {
    const image = c.image ?? "";
    if (!image || /\s/.test(image)) {
      throw new ImagePullError(
        "InvalidImageName",
        `Failed to apply default image tag "${image}": invalid reference format`,
      );
    }
    const policy = c.imagePullPolicy ?? defaultImagePullPolicy(image);
    this.#trace(pod, "ImageStatus");
    const present =
      policy === "Always"
        ? undefined
        : ((prefetched ? await prefetched.catch(() => undefined) : undefined) ??
          (await this.#o.cri.image.imageStatus({ image: { image } })).image);
    const decision = ensureImageExists({ pod, container: c, imagePresent: !!present?.id, backoff, now });
    if (decision.action === "use") return present!.id;
    if (decision.action === "wait") throw new ImagePullError(decision.reason, decision.message);
    try {
      const { imageRef } = await this.#o.cri.image.pullImage({ image: { image } });
      return imageRef;
    } catch (e) {
      const failed = imagePullFailed(backoff, pod, image, KiteError.from(e).rawMessage, Date.now());
      throw new ImagePullError(failed.reason, failed.message);
    }
  }

  /**
   * ImageStatus of a container's image, asked while its sandbox is being created (the answer is the same a few
   * ms later; ensureImage takes it instead of asking again). Undefined for imagePullPolicy Always or a bad name.
   */
  prefetchImage(c: Container): Promise<cri.Image | undefined> | undefined {
    const image = c.image ?? "";
    if (!image || /\s/.test(image) || pullPolicy(c) === "Always") return undefined;
    const p = this.#o.cri.image.imageStatus({ image: { image } }).then((r) => r.image);
    p.catch(() => {});
    return p;
  }

  containerConfig(pod: Pod, c: Container, restartCount: number, podIp: string): ContainerConfig {
    const uid = pod.metadata.uid!;
    const volumes = new Map((pod.spec.volumes ?? []).map((v) => [v.name, v]));
    const mounts = (c.volumeMounts ?? []).map((m) => {
      const v = volumes.get(m.name);
      const plugin = this.#plugin(v);
      if (plugin) {
        // configMap/secret volumes are always mounted read-only (as upstream).
        const dir = pluginVolumePath(this.#o.paths, uid, plugin.pluginName, m.name);
        return {
          containerPath: m.mountPath,
          hostPath: m.subPath ? `${dir}/${m.subPath}` : dir,
          readonly: true,
          selinuxRelabel: false,
          propagation: cri.MountPropagation.PROPAGATION_PRIVATE,
        };
      }
      let hostPath = v?.hostPath ? v.hostPath.path : emptyDirPath(this.#o.paths, uid, m.name);
      if (m.subPath) {
        hostPath = `${hostPath}/${m.subPath}`;
        mkdirSync(hostPath, { recursive: true });
      }
      return {
        containerPath: m.mountPath,
        hostPath,
        readonly: m.readOnly ?? false,
        selinuxRelabel: false,
        propagation: cri.MountPropagation.PROPAGATION_PRIVATE,
      };
    });
    const envs = (c.env ?? []).map((e) => ({
      key: e.name,
      value: e.value ?? this.#fieldRef(pod, e.valueFrom?.fieldRef?.fieldPath, podIp),
    }));
    const r = containerLinuxResources(pod, c, this.#o.memoryCapacity);
    return {
      metadata: { name: c.name, attempt: restartCount },
      image: { image: c.image ?? "", annotations: {}, userSpecifiedImage: c.image ?? "" },
      command: c.command ?? [],
      args: c.args ?? [],
      workingDir: c.workingDir ?? "",
      envs,
      mounts,
      devices: [],
      labels: {
        [labelPodName]: pod.metadata.name!,
        [labelPodNamespace]: pod.metadata.namespace!,
        [labelPodUid]: uid,
        [labelContainerName]: c.name,
      },
      annotations: {
        [annotationContainerHash]: containerHash(c),
        [annotationRestartCount]: String(restartCount),
        [annotationTerminationGrace]: String(pod.spec.terminationGracePeriodSeconds ?? 30),
        ...(c.lifecycle?.preStop ? { [annotationPreStop]: JSON.stringify(c.lifecycle.preStop) } : {}),
        ...(c.ports ? { [annotationPorts]: JSON.stringify(c.ports) } : {}),
      },
      logPath: containerLogPath(c.name, restartCount),
      stdin: c.stdin ?? false,
      stdinOnce: false,
      tty: c.tty ?? false,
      linux: {
        resources: {
          ...r,
          cpusetCpus: "",
          cpusetMems: "",
          hugepageLimits: [],
          unified: {},
          memorySwapLimitInBytes: 0n,
        },
        securityContext: {
          privileged: c.securityContext?.privileged ?? false,
          readonlyRootfs: c.securityContext?.readOnlyRootFilesystem ?? false,
          ...(c.securityContext?.runAsUser !== undefined
            ? { runAsUser: { value: BigInt(c.securityContext.runAsUser) } }
            : {}),
          ...(c.securityContext?.runAsGroup !== undefined
            ? { runAsGroup: { value: BigInt(c.securityContext.runAsGroup) } }
            : {}),
          namespaceOptions: {
            network: pod.spec.hostNetwork ? cri.NamespaceMode.NODE : cri.NamespaceMode.POD,
            pid: pod.spec.hostPID
              ? cri.NamespaceMode.NODE
              : pod.spec.shareProcessNamespace
                ? cri.NamespaceMode.POD
                : cri.NamespaceMode.CONTAINER,
            ipc: pod.spec.hostIPC ? cri.NamespaceMode.NODE : cri.NamespaceMode.POD,
            targetId: "",
          },
          ...(c.securityContext?.capabilities
            ? {
                capabilities: {
                  addCapabilities: c.securityContext.capabilities.add ?? [],
                  dropCapabilities: c.securityContext.capabilities.drop ?? [],
                  addAmbientCapabilities: [],
                },
              }
            : {}),
        },
      },
    };
  }

  #fieldRef(pod: Pod, path: string | undefined, podIp: string): string {
    switch (path) {
      case "metadata.name":
        return pod.metadata.name!;
      case "metadata.namespace":
        return pod.metadata.namespace ?? "default";
      case "metadata.uid":
        return pod.metadata.uid ?? "";
      case "spec.nodeName":
        return pod.spec.nodeName ?? "";
      case "status.podIP":
        return podIp;
      default:
        return "";
    }
  }

  /** Creates and starts one container instance in the sandbox. */
  async startContainer(
    pod: Pod,
    c: Container,
    sandboxId: string,
    sandboxAttempt: number,
    restartCount: number,
    podIp: string,
  ): Promise<string> {
    const config = this.containerConfig(pod, c, restartCount, podIp);
    this.#trace(pod, "CreateContainer");
    const { containerId } = await this.#o.cri.runtime.createContainer({
      podSandboxId: sandboxId,
      config,
      sandboxConfig: this.sandboxConfig(pod, sandboxAttempt),
    });
    this.#trace(pod, "StartContainer");
    await this.#o.cri.runtime.startContainer({ containerId });
    this.#trace(pod, "StartContainer done");
    return containerId;
  }

  /** Runs a preStop handler (exec through ExecSync, httpGet to the pod IP), bounded by the grace period. */
  async runPreStop(
    handler: LifecycleHandler,
    containerId: string,
    podIp: string,
    graceSeconds: number,
  ): Promise<void> {
    const timeoutMs = Math.max(1, graceSeconds) * 1000;
    if (handler.exec?.command) {
      await this.#o.cri.runtime
        .execSync(
          { containerId, cmd: handler.exec.command, timeout: BigInt(Math.max(1, graceSeconds)) },
          timeoutMs + 2000,
        )
        .catch((e) => this.#o.log.warn("preStop exec failed", { containerId, err: e }));
    } else if (handler.httpGet) {
      const h = handler.httpGet;
      await new Promise<void>((resolve) => {
        const req = request(
          {
            host: h.host ?? (podIp || "127.0.0.1"),
            port: Number(h.port),
            path: h.path ?? "/",
            method: "GET",
            timeout: timeoutMs,
          },
          (res) => {
            res.resume();
            res.on("end", resolve);
          },
        );
        req.on("error", () => resolve());
        req.on("timeout", () => {
          req.destroy();
          resolve();
        });
        req.end();
      });
    } else if (handler.sleep) {
      await new Promise((r) => setTimeout(r, Math.min(handler.sleep!.seconds, graceSeconds) * 1000));
    }
  }

  /** Stops a container gracefully: preStop (if any), then SIGTERM and SIGKILL after what is left of the grace period. */
  async killContainer(
    containerId: string,
    preStop: LifecycleHandler | undefined,
    podIp: string,
    graceSeconds: number,
  ): Promise<void> {
    const start = Date.now();
    if (preStop) await this.runPreStop(preStop, containerId, podIp, graceSeconds);
    const left = Math.max(2, graceSeconds - Math.floor((Date.now() - start) / 1000));
    await this.#o.cri.runtime.stopContainer({ containerId, timeout: BigInt(left) }, (left + 30) * 1000);
  }

  async stopSandbox(id: string): Promise<void> {
    await this.#o.cri.runtime.stopPodSandbox({ podSandboxId: id }, 60_000);
  }

  async removeSandbox(id: string): Promise<void> {
    await this.#o.cri.runtime.removePodSandbox({ podSandboxId: id }, 60_000);
  }

  /** Removes the pod's folders (volumes) after the pod is gone. */
  cleanupPodDir(uid: string): void {
    rmSync(podDir(this.#o.paths, uid), { recursive: true, force: true });
  }
}
