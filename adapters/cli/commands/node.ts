import { KiteError } from "../../../core/errors/mod.ts";
import type { Command } from "../command.ts";

export const nodeCommand: Command = {
  name: "node",
  summary: "Run the node agent",
  usage: "kite node",
  async run() {
    throw new KiteError(
      "unimplemented",
      "kite node is not built yet ( static pods from a manifest folder through the CRI:issue 6)",
    );
  },
};
