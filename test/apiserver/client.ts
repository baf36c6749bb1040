/** A kite KubeClient for a fake API server. */
import { KubeConfig } from "@kubernetes/client-node";
import { KubeClient } from "../../adapters/apiserver/kube-client.ts";
import type { FakeApiServer } from "./fake-apiserver.ts";
import { kubeConfigYaml, type TestKubeConfigOptions } from "./kubeconfig.ts";

export function kubeClientFor(
  server: FakeApiServer,
  extra: Partial<TestKubeConfigOptions> = {},
  timeoutMs = 5000,
): KubeClient {
  const kc = new KubeConfig();
  kc.loadFromString(kubeConfigYaml({ server: server.url, ...extra }));
  return new KubeClient(kc, { timeoutMs });
}

/** Polls `cond` every 5 ms; fails after `budgetMs` of wall time (generous: CI machines are slow and shared). */
export async function until(cond: () => boolean, what: string, budgetMs = 15_000): Promise<void> {
  const deadline = Date.now() + budgetMs;
  while (Date.now() < deadline) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  if (cond()) return;
  throw new Error(`timed out waiting for ${what}`);
}
