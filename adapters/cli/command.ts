/** A `kite` subcommand. Each lives in its own file under commands/. */
export interface Command {
  name: string;
  /** One line for `kite help`. */
  summary: string;
  /** Full usage text for `kite <name> --help`. */
  usage: string;
  /** Runs the command; resolves to the process exit code. */
  run(args: string[]): Promise<number>;
}
