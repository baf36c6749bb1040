import { readFile } from "node:fs/promises";
import { parse as parseYaml } from "yaml";
import { invalidArgument, KiteError } from "../../../core/errors/mod.ts";
import { runSimulation } from "../../extender/simulate-input.ts";
import { renderSimulationTable } from "../../extender/simulate-table.ts";
import { parseFlags } from "../args.ts";
import type { Command } from "../command.ts";

const usage = `Usage: kite simulate -f input.(json|yaml) [-o table|json]

Explains where kube-scheduler's default plugins would place a pod: for every
node the filter verdict (the plugin that rejected it and upstream's reasons),
each score plugin's raw, normalized and weighted score, the total, and the
chosen node.

Input (JSON or YAML; "-" reads stdin):
  pod:            the Pod to place
  nodes:          list of Nodes (or a NodeList)
  pods:           Pods already placed (spec.nodeName set), optional
  profile:        a KubeSchedulerConfiguration profile, or a whole
                  KubeSchedulerConfiguration (defaults when absent)
  schedulerName:  which profile of a KubeSchedulerConfiguration to use
  featureGates:   {PodLevelResources, SidecarContainers, TaintTolerationComparisonOperators}

Flags:
  -f, --filename   input file (required)
  -o, --output     table (default) or json`;

async function readInput(path: string): Promise<string> {
  if (path === "-") {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  }
  try {
    return await readFile(path, "utf8");
  } catch (e) {
    throw new KiteError("not_found", `cannot read ${path}: ${(e as Error).message}`, { field: "filename" });
  }
}

export function parseSimulateDocument(text: string, name: string): unknown {
  try {
    return /^\s*[{[]/.test(text) ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw invalidArgument("filename", `${name} is neither valid JSON nor YAML: ${(e as Error).message}`);
  }
}

export const simulateCommand: Command = {
  name: "simulate",
  summary: "Explain a scheduling decision (filters and scores per node for a pod)",
  usage,
  async run(args) {
    const { values } = parseFlags(args, {
      filename: { type: "string", short: "f" },
      output: { type: "string", short: "o", default: "table" },
    });
    if (!values.filename) throw invalidArgument("filename", "-f input.(json|yaml) is required");
    const output = values.output ?? "table";
    if (output !== "table" && output !== "json") {
      throw invalidArgument("output", `must be "table" or "json", got ${JSON.stringify(output)}`);
    }
    const doc = parseSimulateDocument(await readInput(values.filename), values.filename);
    const result = runSimulation(doc);
    process.stdout.write(
      output === "json" ? `${JSON.stringify(result, null, 2)}\n` : renderSimulationTable(result),
    );
    return 0;
  },
};
