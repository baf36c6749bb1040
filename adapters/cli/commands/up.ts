import { KiteError } from "../../../core/errors/mod.ts";
import type { Command } from "../command.ts";

export const upCommand: Command = {
  name: "up",
  summary: "Set up a private containerd and run kite node on examples/manifests",
  usage: "kite up",
  async run() {
    throw new KiteError("unimplemented", "kite up is not built yet (issue 6)");
  },
};
