import type { Container, Pod } from "../api/mod.ts";
import type { Backoff } from "./crash-loop-backoff.ts";

export type ImagePullPolicy = "Always" | "IfNotPresent" | "Never";

/**
 * The API default for imagePullPolicy: Always for an image without a tag or with tag "latest" (and no digest),
 * IfNotPresent otherwise.
 */
export function defaultImagePullPolicy(image: string): ImagePullPolicy {
  if (image.includes("@")) return "IfNotPresent";
  const lastSlash = image.lastIndexOf("/");
  const colon = image.lastIndexOf(":");
  const tag = colon > lastSlash ? image.slice(colon + 1) : "";
  return tag === "" || tag === "latest" ? "Always" : "IfNotPresent";
}

/** Whether to pull given the policy and whether the image is present (shouldPullImage). */
export function shouldPullImage(policy: ImagePullPolicy, present: boolean): boolean {
  if (policy === "Never") return false;
  return policy === "Always" || !present;
}

/** The image back-off key of one image of one pod. */
export function imageBackOffKey(pod: Pick<Pod, "metadata">, image: string): string {
  return `${pod.metadata.uid ?? ""}_${image}`;
}

export type ImagePullDecision =
  | { action: "use"; event: { type: "Normal"; reason: "Pulled"; message: string } }
  | { action: "pull"; event: { type: "Normal"; reason: "Pulling"; message: string } }
  | {
      action: "wait";
      reason: "ErrImageNeverPull" | "ImagePullBackOff";
      message: string;
      event: { type: "Normal" | "Warning"; reason: "ErrImageNeverPull" | "BackOff"; message: string };
    };

/**
 * What to do about a container's image before creating it (images.EnsureImageExists): use the present image,
 * pull it, or wait with ErrImageNeverPull / ImagePullBackOff. `backoff` is the image-pull back-off
 * (10 s doubling to 300 s); after a failed pull call `imagePullFailed`.
 */
export function ensureImageExists(input: {
  pod: Pick<Pod, "metadata">;
  container: Pick<Container, "image" | "imagePullPolicy">;
  imagePresent: boolean;
  backoff: Backoff;
  now: number;
}): ImagePullDecision {
  const image = input.container.image ?? "";
  const policy = input.container.imagePullPolicy ?? defaultImagePullPolicy(image);
  if (!shouldPullImage(policy, input.imagePresent)) {
    if (input.imagePresent) {
      const message = `Container image "${image}" already present on machine`;
      return { action: "use", event: { type: "Normal", reason: "Pulled", message } };
    }
    const message = `Container image "${image}" is not present with pull policy of Never`;
    return {
      action: "wait",
      reason: "ErrImageNeverPull",
      message,
      event: { type: "Warning", reason: "ErrImageNeverPull", message },
    };
  }
  if (input.backoff.isInBackOffSinceUpdate(imageBackOffKey(input.pod, image), input.now)) {
    const message = `Back-off pulling image "${image}"`;
    return {
      action: "wait",
      reason: "ImagePullBackOff",
      message,
      event: { type: "Normal", reason: "BackOff", message },
    };
  }
  return {
    action: "pull",
    event: { type: "Normal", reason: "Pulling", message: `Pulling image "${image}"` },
  };
}

/** Records a failed pull (advances the back-off) and gives the ErrImagePull waiting state to report. */
export function imagePullFailed(
  backoff: Backoff,
  pod: Pick<Pod, "metadata">,
  image: string,
  error: string,
  now: number,
): { reason: "ErrImagePull"; message: string } {
  backoff.next(imageBackOffKey(pod, image), now, now);
  return { reason: "ErrImagePull", message: `Failed to pull image "${image}": ${error}` };
}
