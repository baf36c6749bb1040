import { KiteError } from "../../../core/errors/mod.ts";
import type { Command } from "../command.ts";

export const extenderCommand: Command = {
  name: "extender",
  summary: "Serve the scheduler extender HTTP API for kube-scheduler",
  usage: "kite extender",
  async run() {
    throw new KiteError("unimplemented", "kite extender is not built yet (issue 3)");
  },
};
