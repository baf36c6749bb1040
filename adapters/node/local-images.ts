import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { arch, tmpdir } from "node:os";
import { join } from "node:path";
import { KiteError } from "../../core/errors/mod.ts";

/** The images `kite up` and the integration tests use; built from Debian's busybox-static, no registry needed. */
export const localImages = {
  /** The sandbox ("pause") image: sleeps until killed. */
  pause: "kite.local/pause:1",
  /** A shell and the busybox applets (httpd, wget, nc, sleep, ...). */
  busybox: "kite.local/busybox:1",
} as const;

const busyboxPaths = ["/bin/busybox", "/usr/bin/busybox"];

function sha256(data: Buffer | string): string {
  return createHash("sha256").update(data).digest("hex");
}

function ociArch(): string {
  const a = arch();
  return a === "x64" ? "amd64" : a === "arm64" ? "arm64" : a;
}

/** Builds the busybox root filesystem layer as an uncompressed, reproducible tar. */
function buildLayer(work: string): Buffer {
  const busybox = busyboxPaths.find((p) => existsSync(p));
  if (!busybox) {
    throw new KiteError(
      "failed_precondition",
      "busybox-static is not installed (apt-get install busybox-static)",
    );
  }
  const root = join(work, "rootfs");
  for (const d of ["bin", "etc", "tmp", "var/www", "proc", "sys", "dev", "root"]) {
    mkdirSync(join(root, d), { recursive: true });
  }
  writeFileSync(join(root, "bin", "busybox"), readFileSync(busybox), { mode: 0o755 });
  const applets = execFileSync(busybox, ["--list"], { encoding: "utf8" }).split("\n").filter(Boolean);
  for (const applet of applets) {
    if (applet !== "busybox" && /^[a-z0-9_.[-]+$/.test(applet))
      symlinkSync("busybox", join(root, "bin", applet));
  }
  writeFileSync(
    join(root, "etc", "passwd"),
    "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n",
  );
  writeFileSync(join(root, "etc", "group"), "root:x:0:\nnogroup:x:65534:\n");
  writeFileSync(join(root, "var", "www", "index.html"), "hello from kite\n");
  const tar = join(work, "layer.tar");
  execFileSync("tar", [
    "--sort=name",
    "--mtime=@0",
    "--owner=0",
    "--group=0",
    "--numeric-owner",
    "-C",
    root,
    "-cf",
    tar,
    ".",
  ]);
  return readFileSync(tar);
}

interface ImageDef {
  name: string;
  entrypoint?: string[];
  cmd?: string[];
}

/**
 * Writes an OCI image archive (oci-layout + index.json + blobs) holding the given images, all sharing one
 * busybox layer. Each manifest carries `io.containerd.image.name`, so `ctr images import` names it.
 */
export function buildImageArchive(outFile: string, images: ImageDef[]): void {
  const work = mkdtempSync(join(tmpdir(), "kite-img-"));
  try {
    const layer = buildLayer(work);
    const blobs = new Map<string, Buffer>();
    const put = (data: Buffer) => {
      const d = sha256(data);
      blobs.set(d, data);
      return { digest: `sha256:${d}`, size: data.length };
    };
    const layerDesc = put(layer);
    const manifests = images.map((img) => {
      const config = Buffer.from(
        JSON.stringify({
          created: "1970-01-01T00:00:00Z",
          architecture: ociArch(),
          os: "linux",
          config: {
            Env: ["PATH=/bin"],
            ...(img.entrypoint ? { Entrypoint: img.entrypoint } : {}),
            ...(img.cmd ? { Cmd: img.cmd } : {}),
            WorkingDir: "/",
          },
          rootfs: { type: "layers", diff_ids: [layerDesc.digest] },
        }),
      );
      const configDesc = put(config);
      const manifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: "application/vnd.oci.image.manifest.v1+json",
          config: { mediaType: "application/vnd.oci.image.config.v1+json", ...configDesc },
          layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", ...layerDesc }],
        }),
      );
      return {
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        ...put(manifest),
        platform: { architecture: ociArch(), os: "linux" },
        annotations: {
          "io.containerd.image.name": img.name,
          "org.opencontainers.image.ref.name": img.name.split(":").pop() ?? "latest",
        },
      };
    });
    const dir = join(work, "oci");
    mkdirSync(join(dir, "blobs", "sha256"), { recursive: true });
    writeFileSync(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
    writeFileSync(join(dir, "index.json"), JSON.stringify({ schemaVersion: 2, manifests }));
    for (const [d, data] of blobs) writeFileSync(join(dir, "blobs", "sha256", d), data);
    execFileSync("tar", [
      "--sort=name",
      "--mtime=@0",
      "--owner=0",
      "--group=0",
      "-C",
      dir,
      "-cf",
      outFile,
      ".",
    ]);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Builds the local images and imports them into containerd's k8s.io namespace through `ctr`. */
export function importLocalImages(socketPath: string, work: string): string[] {
  const archive = join(work, "kite-images.tar");
  const images: ImageDef[] = [
    { name: localImages.pause, entrypoint: ["/bin/sleep", "2147483647"] },
    { name: localImages.busybox, cmd: ["sh"] },
  ];
  buildImageArchive(archive, images);
  try {
    execFileSync("ctr", ["-a", socketPath, "-n", "k8s.io", "images", "import", "--all-platforms", archive], {
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch (e) {
    const stderr = String((e as { stderr?: Buffer }).stderr ?? "");
    throw new KiteError("internal", `ctr images import failed: ${stderr.trim() || (e as Error).message}`);
  } finally {
    rmSync(archive, { force: true });
  }
  return images.map((i) => i.name);
}
