import { KiteError } from "../../../core/errors/mod.ts";
import type { Command } from "../command.ts";

export const proxyCommand: Command = {
  name: "proxy",
  summary: "Run the service proxy (iptables, nftables or ipvs mode), or render/plan its rules",
  usage: "kite proxy",
  async run() {
    throw new KiteError("unimplemented", "kite proxy is not built yet (issue 4)");
  },
};
