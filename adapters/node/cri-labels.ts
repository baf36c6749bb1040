/** The CRI labels and annotations the kubelet puts on sandboxes and containers (crictl and tools read them). */
export const labelPodName = "io.kubernetes.pod.name";
export const labelPodNamespace = "io.kubernetes.pod.namespace";
export const labelPodUid = "io.kubernetes.pod.uid";
export const labelContainerName = "io.kubernetes.container.name";
export const annotationContainerHash = "io.kubernetes.container.hash";
export const annotationRestartCount = "io.kubernetes.container.restartCount";
export const annotationTerminationGrace = "io.kubernetes.pod.terminationGracePeriod";
export const annotationPreStop = "io.kubernetes.container.preStopHandler";
export const annotationPorts = "io.kubernetes.container.ports";
export const annotationTerminationMessagePath = "io.kubernetes.container.terminationMessagePath";
/** kite's own: the hash of the sandbox-relevant parts of the pod, to notice when the sandbox must be recreated. */
export const annotationSandboxHash = "kite.dev/sandbox-hash";
