#!/usr/bin/env node
/**
 * A slim entry point that runs only `kite node` (the same code as `kite node`, without the other commands):
 * `node adapters/node/main.ts --pod-manifest-path ...` under tsx, or bundled on its own (the node benchmark does).
 */
import { KiteError } from "../../core/errors/mod.ts";
import { nodeCommand } from "../cli/commands/node.ts";

nodeCommand.run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`kite node: ${KiteError.from(e).message}\n`);
    process.exit(KiteError.from(e).code === "invalid_argument" ? 2 : 1);
  },
);
