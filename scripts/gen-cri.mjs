// Regenerates adapters/cri/gen from proto/cri/v1/api.proto with @bufbuild/protoc-gen-es (offline: buf and the
// plugin come from node_modules). Usage: node scripts/gen-cri.mjs
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = join(root, "node_modules", ".bin");
execFileSync(join(bin, "buf"), ["generate"], {
  cwd: join(root, "proto"),
  stdio: "inherit",
  env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
});
console.log("generated adapters/cri/gen/cri/v1/api_pb.js + .d.ts");
