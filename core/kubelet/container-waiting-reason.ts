/** Waiting reasons the kubelet sets on container statuses (kubecontainer / images / kuberuntime errors). */
export const WaitingReason = {
  ContainerCreating: "ContainerCreating",
  PodInitializing: "PodInitializing",
  CrashLoopBackOff: "CrashLoopBackOff",
  ErrImagePull: "ErrImagePull",
  ImagePullBackOff: "ImagePullBackOff",
  ErrImageNeverPull: "ErrImageNeverPull",
  InvalidImageName: "InvalidImageName",
  ImageInspectError: "ImageInspectError",
  RegistryUnavailable: "RegistryUnavailable",
  SignatureValidationFailed: "SignatureValidationFailed",
  CreateContainerConfigError: "CreateContainerConfigError",
  CreateContainerError: "CreateContainerError",
  RunContainerError: "RunContainerError",
  PreStartHookError: "PreStartHookError",
  PostStartHookError: "PostStartHookError",
  KillContainerError: "KillContainerError",
} as const;
export type WaitingReasonName = (typeof WaitingReason)[keyof typeof WaitingReason];

/** Terminated reasons: the runtime's, plus ContainerStatusUnknown when a container vanished. */
export const TerminatedReason = {
  Completed: "Completed",
  Error: "Error",
  OOMKilled: "OOMKilled",
  ContainerCannotRun: "ContainerCannotRun",
  ContainerStatusUnknown: "ContainerStatusUnknown",
} as const;

/** Why a container is not running yet, as the pod worker knows it. */
export type ContainerStartCause =
  /** Nothing went wrong; the container is being created (or the sandbox is). */
  | { kind: "creating" }
  /** A regular container while init containers run. */
  | { kind: "initializing" }
  /** The restart back-off is running (message from containerBackOff). */
  | { kind: "crashLoopBackOff"; message: string }
  /** Pulling the image failed now. */
  | { kind: "imagePullError"; message: string }
  /** A pull failed before and its back-off is running. */
  | { kind: "imagePullBackOff"; image: string; message?: string }
  /** imagePullPolicy Never and the image is absent. */
  | { kind: "imageNeverPull"; image: string }
  | { kind: "invalidImageName"; image: string; message?: string }
  | { kind: "imageInspectError"; message: string }
  /** Building the container config failed: missing ConfigMap/Secret (key), bad env, runAsNonRoot checks... */
  | { kind: "configError"; message: string }
  /** CRI CreateContainer failed. */
  | { kind: "createError"; message: string }
  /** CRI StartContainer failed. */
  | { kind: "runError"; message: string }
  | { kind: "preStartHookError"; message: string }
  | { kind: "postStartHookError"; message: string };

/** The `state.waiting` of a container that is not running (reason and message as upstream prints them). */
export function containerWaitingState(cause: ContainerStartCause): {
  reason: WaitingReasonName;
  message?: string;
} {
  switch (cause.kind) {
    case "creating":
      return { reason: WaitingReason.ContainerCreating };
    case "initializing":
      return { reason: WaitingReason.PodInitializing };
    case "crashLoopBackOff":
      return { reason: WaitingReason.CrashLoopBackOff, message: cause.message };
    case "imagePullError":
      return { reason: WaitingReason.ErrImagePull, message: cause.message };
    case "imagePullBackOff":
      return {
        reason: WaitingReason.ImagePullBackOff,
        message: cause.message ?? `Back-off pulling image "${cause.image}"`,
      };
    case "imageNeverPull":
      return {
        reason: WaitingReason.ErrImageNeverPull,
        message: `Container image "${cause.image}" is not present with pull policy of Never`,
      };
    case "invalidImageName":
      return {
        reason: WaitingReason.InvalidImageName,
        message:
          cause.message ?? `Failed to apply default image tag "${cause.image}": couldn't parse image name`,
      };
    case "imageInspectError":
      return { reason: WaitingReason.ImageInspectError, message: cause.message };
    case "configError":
      return { reason: WaitingReason.CreateContainerConfigError, message: cause.message };
    case "createError":
      return { reason: WaitingReason.CreateContainerError, message: cause.message };
    case "runError":
      return { reason: WaitingReason.RunContainerError, message: cause.message };
    case "preStartHookError":
      return { reason: WaitingReason.PreStartHookError, message: cause.message };
    case "postStartHookError":
      return { reason: WaitingReason.PostStartHookError, message: cause.message };
  }
}

/** Reasons that mean "the container will not start until something changes" (a problem, not progress). */
export function isWaitingErrorReason(reason: string | undefined): boolean {
  return (
    reason !== undefined &&
    reason !== WaitingReason.ContainerCreating &&
    reason !== WaitingReason.PodInitializing
  );
}

/** The terminated reason for an exit: Completed for 0, OOMKilled when the kernel killed it, Error otherwise. */
export function terminatedReason(exitCode: number, oomKilled = false): string {
  if (oomKilled) return TerminatedReason.OOMKilled;
  return exitCode === 0 ? TerminatedReason.Completed : TerminatedReason.Error;
}
