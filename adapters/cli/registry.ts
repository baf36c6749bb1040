import type { Command } from "./command.ts";
import { versionCommand } from "./commands/version.ts";

/** Every `kite` subcommand, in the order `kite help` lists them. */
export const commands: Command[] = [versionCommand];
