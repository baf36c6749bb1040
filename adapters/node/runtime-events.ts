import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { Events } from "../cri/gen/containerd/services/events/v1/events_pb.js";
import { createUnixGrpcTransport } from "../cri/transport.ts";
import type { Logger } from "../log/logger.ts";

export interface RuntimeEvents {
  /** True once containerd's event stream is connected (the PLEG may then relist slowly). */
  readonly active: boolean;
  stop(): void;
}

const filters = ['namespace==k8s.io,topic~="^/tasks/"', 'namespace==k8s.io,topic~="^/containers/"'];

/**
 * Subscribes to containerd's task and container events (containerd.services.events.v1.Events/Subscribe) on the
 * runtime socket; each event calls `onEvent` (a relist). CRI v1's GetContainerEvents is not served by containerd
 * 1.6, so this is the event source there. Other runtimes answer Unimplemented and the PLEG keeps its 1 s relist.
 * `onState` reports connection changes so the PLEG can go back to fast relisting while the stream is down.
 */
export async function startRuntimeEvents(
  socketPath: string,
  onEvent: () => void,
  log: Logger,
  onState: (connected: boolean) => void = () => {},
): Promise<RuntimeEvents> {
  const client = createClient(Events, createUnixGrpcTransport(socketPath));
  const ac = new AbortController();
  let active = false;
  let unsupported = false;
  let firstResolve: (ok: boolean) => void = () => {};
  const first = new Promise<boolean>((r) => {
    firstResolve = r;
  });
  const run = async () => {
    while (!ac.signal.aborted && !unsupported) {
      try {
        const stream = client.subscribe(
          { filters },
          {
            signal: ac.signal,
            onHeader: () => {
              if (!active) {
                active = true;
                onState(true);
                onEvent();
              }
              firstResolve(true);
            },
          },
        );
        for await (const _ of stream) onEvent();
      } catch (e) {
        if (ac.signal.aborted) return;
        const err = ConnectError.from(e);
        if (err.code === Code.Unimplemented) {
          unsupported = true;
          log.info("runtime has no containerd event service; PLEG relists every period", {});
          firstResolve(false);
          return;
        }
      }
      if (active) {
        active = false;
        onState(false);
        log.warn("runtime event stream lost; relisting every second until it is back", {});
      }
      firstResolve(false);
      await new Promise((r) => setTimeout(r, 1000));
    }
  };
  void run();
  // containerd sends the response headers with the first event, so a stream that has not failed within a second
  // is taken as established.
  const ok = await Promise.race([
    first,
    new Promise<boolean>((r) =>
      setTimeout(() => {
        if (!unsupported && !ac.signal.aborted) {
          active = true;
          onState(true);
        }
        r(!unsupported);
      }, 1000),
    ),
  ]);
  return {
    get active() {
      return ok && active;
    },
    stop() {
      ac.abort();
    },
  };
}
