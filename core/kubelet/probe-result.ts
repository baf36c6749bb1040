/** The three probe types of a container (probeType). */
export type ProbeType = "liveness" | "readiness" | "startup";

/** The raw outcome of one probe (pkg/probe Result): Warning counts as success but is reported. */
export type ProbeResult = "Success" | "Warning" | "Failure" | "Unknown";

/** A probe's classified outcome with its output (what the kubelet puts in events). */
export interface ProbeVerdict {
  result: ProbeResult;
  output: string;
  /** A prober error (not a failure): the kubelet retries and then discards the result. */
  error?: string;
}

/** The cached, thresholded state of one probe for one container (prober/results Result). */
export type ProbeState = "Success" | "Failure" | "Unknown";

/** Times a probe that errors is retried within one tick (maxProbeRetries). */
export const maxProbeRetries = 3;
/** Bytes of an HTTP body or exec output that are read; the rest is dropped (maxRespBodyLength). */
export const maxProbeOutputBytes = 10 * 1024;

/**
 * Runs one probe attempt up to `maxProbeRetries` times while it ends in a prober error (Unknown), as
 * prober.runProbeWithRetries; the last verdict is returned (report it: an Unknown is discarded).
 */
export async function probeWithRetries(
  attempt: () => Promise<ProbeVerdict>,
  retries = maxProbeRetries,
): Promise<ProbeVerdict> {
  let verdict: ProbeVerdict = { result: "Unknown", output: "", error: "probe not run" };
  for (let i = 0; i < Math.max(1, retries); i++) {
    verdict = await attempt();
    if (verdict.result !== "Unknown") return verdict;
  }
  return verdict;
}

/** Upstream metric names for probes (/metrics/probes). */
export const proberProbeTotal = "prober_probe_total";
export const proberProbeDurationSeconds = "prober_probe_duration_seconds";
