/** What /bind calls: an API-server binder (adapters/apiserver/pod-binder.ts) or, by default, one that refuses. */
import { KiteError } from "../../core/errors/mod.ts";

export interface Binder {
  bind(namespace: string, podName: string, uid: string, node: string): Promise<void>;
}

export const noApiServerBinder: Binder = {
  async bind() {
    throw new KiteError(
      "failed_precondition",
      "no API server is configured: kite extender cannot create the pods/binding subresource",
    );
  },
};
