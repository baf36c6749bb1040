import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { KiteError } from "../../../core/errors/mod.ts";
import { parseNodeDuration } from "../../node/node-config.ts";
import { defaultManifestDir, down, renderPodTable, type UpState, up } from "../../node/up.ts";
import { parseFlags } from "../args.ts";
import type { Command } from "../command.ts";

const usage = `kite up: a node on this machine in one command (root, Debian)

Installs what is missing (containerd, runc, CNI plugins, busybox-static) with apt-get, starts a private containerd
(own root, state, socket and CNI config under --dir, inside its own network namespace: the host network is not
touched), builds and imports small busybox images, runs kite node on the example manifests and shows a live table of
the pods. Ctrl-C stops everything and removes what was created.

Usage: kite up [--keep] [--manifests DIR] [--dir DIR]
       kite up --down [--dir DIR]

Flags:
  --manifests DIR   static pod manifests (default examples/manifests)
  --dir DIR         the kite folder (default /var/lib/kite/up)
  --netns NAME      network namespace to create (default kite-up)
  --keep            leave containerd and kite node running on exit (stop later with kite up --down)
  --down            stop and remove what an earlier kite up --keep left running
  --for DURATION    show the table for this long, then exit (default: until Ctrl-C)`;

export const upCommand: Command = {
  name: "up",
  summary: "Set up a private containerd and run kite node on examples/manifests",
  usage,
  async run(args) {
    const { values, positionals } = parseFlags(args, {
      manifests: { type: "string" },
      dir: { type: "string" },
      netns: { type: "string" },
      keep: { type: "boolean" },
      down: { type: "boolean" },
      for: { type: "string" },
    });
    if (positionals.length)
      throw new KiteError("invalid_argument", `unexpected argument ${positionals[0]}`, { field: "args" });
    const dir = resolve(values.dir ?? "/var/lib/kite/up");
    const say = (line: string) => process.stderr.write(`kite up: ${line}\n`);
    if (values.down) {
      await down(dir, say);
      return 0;
    }
    const manifests = resolve(values.manifests ?? defaultManifestDir());
    if (!existsSync(manifests))
      throw new KiteError("invalid_argument", `${manifests} does not exist`, { field: "--manifests" });
    const forMs = values.for ? parseNodeDuration(values.for, "--for") : undefined;
    const { state } = await up({ dir, manifests, netns: values.netns ?? "kite-up", say });
    let stopping = false;
    const tty = process.stdout.isTTY;
    const draw = () => {
      let status: { pods: []; errors: [] } = { pods: [], errors: [] };
      try {
        status = JSON.parse(readFileSync(join(dir, "status.json"), "utf8"));
      } catch {}
      const table = renderPodTable(status.pods ?? [], status.errors ?? [], Date.now());
      const footer = values.keep
        ? "Ctrl-C to leave it running (kite up --down stops it)"
        : "Ctrl-C to stop and clean up";
      if (tty) process.stdout.write(`\x1b[H\x1b[2J${table}\n\n${footer}\n`);
      else process.stdout.write(`${new Date().toISOString()}\n${table}\n\n`);
    };
    const timer = setInterval(draw, tty ? 1000 : 5000);
    draw();
    let watch: ReturnType<typeof setInterval> | undefined;
    await new Promise<void>((done) => {
      const stop = () => {
        if (stopping) return;
        stopping = true;
        clearInterval(watch);
        done();
      };
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
      if (forMs !== undefined) setTimeout(stop, forMs).unref();
      // Also stop if kite node died.
      watch = setInterval(() => {
        try {
          process.kill(state.nodePid, 0);
        } catch {
          say(`kite node exited; see ${join(dir, "node.log")}`);
          clearInterval(watch);
          stop();
        }
      }, 1000);
      watch.unref();
    });
    clearInterval(timer);
    draw();
    if (values.keep) {
      const s = JSON.parse(readFileSync(join(dir, "up.json"), "utf8")) as UpState;
      say(
        `left running: containerd pid ${s.containerdPid}, kite node pid ${s.nodePid}, netns ${s.netns}; stop with: kite up --down --dir ${dir}`,
      );
      return 0;
    }
    await down(dir, say);
    return 0;
  },
};
