#!/usr/bin/env node
import { KiteError } from "../../core/errors/mod.ts";
import { commands } from "./registry.ts";

function help(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `kite: Kubernetes node components in TypeScript\n\nUsage: kite <command> [flags]\n\nCommands:\n${lines.join("\n")}\n  ${"help".padEnd(width)}  Show this help, or a command's usage\n`;
}

/** Runs `kite` with the given arguments and resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "help" || name === "--help" || name === "-h") {
    const target = commands.find((c) => c.name === rest[0]);
    process.stdout.write(target ? `${target.usage}\n` : help());
    return 0;
  }
  if (name === "--version") return main(["version"]);
  const command = commands.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`kite: unknown command ${JSON.stringify(name)}\n\n${help()}`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    process.stdout.write(`${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (e) {
    const err = KiteError.from(e);
    process.stderr.write(`kite ${name}: ${err.message}\n`);
    return err.code === "invalid_argument" ? 2 : 1;
  }
}

const isEntry = import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith("kite.mjs");
if (isEntry) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`kite: ${String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
