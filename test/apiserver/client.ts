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

export async function until(cond: () => boolean, what: string, tries = 1000): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}
