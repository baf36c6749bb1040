import { KiteError } from "../../../core/errors/mod.ts";
import type { Command } from "../command.ts";

export const simulateCommand: Command = {
  name: "simulate",
  summary: "Explain a scheduling decision",
  usage: "kite simulate",
  async run() {
    throw new KiteError(
      "unimplemented",
      "kite simulate is not built yet ( filters and scores per node for a pod:issue 3)",
    );
  },
};
