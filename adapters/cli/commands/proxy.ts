import { proxyUsage, runProxyCli } from "../../proxy/proxy-cli.ts";
import type { Command } from "../command.ts";

export const proxyCommand: Command = {
  name: "proxy",
  summary: "Run the service proxy (iptables, nftables or ipvs mode), or render/plan its rules",
  usage: proxyUsage,
  run: (args) => runProxyCli(args),
};
