import { kiteVersion, kubernetesVersion } from "../../../core/version.ts";
import type { Command } from "../command.ts";

export const versionCommand: Command = {
  name: "version",
  summary: "Print the kite version and the Kubernetes version it matches",
  usage: "kite version",
  async run() {
    process.stdout.write(
      `kite ${kiteVersion} (matches Kubernetes ${kubernetesVersion}, Node ${process.version})\n`,
    );
    return 0;
  },
};
