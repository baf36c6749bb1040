import type { Command } from "./command.ts";
import { extenderCommand } from "./commands/extender.ts";
import { nodeCommand } from "./commands/node.ts";
import { proxyCommand } from "./commands/proxy.ts";
import { simulateCommand } from "./commands/simulate.ts";
import { upCommand } from "./commands/up.ts";
import { versionCommand } from "./commands/version.ts";

/** Every `kite` subcommand, in the order `kite help` lists them. */
export const commands: Command[] = [
  upCommand,
  nodeCommand,
  proxyCommand,
  extenderCommand,
  simulateCommand,
  versionCommand,
];
