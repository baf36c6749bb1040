import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { KiteError } from "../../core/errors/mod.ts";

/**
 * The serving certificate of port 10250: the given files, or a self-signed one generated at first start in
 * <cert-dir>/kubelet.crt and kubelet.key (as the kubelet does without --tls-cert-file).
 */
export function servingCertificate(opts: {
  certFile?: string;
  keyFile?: string;
  certDir: string;
  nodeName: string;
  nodeIp?: string;
}): { cert: Buffer; key: Buffer; generated: boolean } {
  if (opts.certFile || opts.keyFile) {
    if (!opts.certFile || !opts.keyFile) {
      throw new KiteError("invalid_argument", "--tls-cert-file and --tls-private-key-file go together", {
        field: "--tls-cert-file",
      });
    }
    return { cert: readFileSync(opts.certFile), key: readFileSync(opts.keyFile), generated: false };
  }
  const cert = join(opts.certDir, "kubelet.crt");
  const key = join(opts.certDir, "kubelet.key");
  let generated = false;
  if (!existsSync(cert) || !existsSync(key)) {
    mkdirSync(opts.certDir, { recursive: true, mode: 0o700 });
    const san = [
      `DNS:${opts.nodeName}`,
      "DNS:localhost",
      "IP:127.0.0.1",
      ...(opts.nodeIp ? [`IP:${opts.nodeIp}`] : []),
    ];
    try {
      execFileSync(
        "openssl",
        [
          "req",
          "-x509",
          "-newkey",
          "ec",
          "-pkeyopt",
          "ec_paramgen_curve:prime256v1",
          "-nodes",
          "-days",
          "365",
          "-subj",
          `/CN=${opts.nodeName}@${Math.floor(Date.now() / 1000)}`,
          "-addext",
          `subjectAltName=${san.join(",")}`,
          "-keyout",
          key,
          "-out",
          cert,
        ],
        { stdio: ["ignore", "ignore", "pipe"] },
      );
    } catch (e) {
      throw new KiteError(
        "failed_precondition",
        `generating the self-signed serving certificate failed (is openssl installed?): ${String((e as { stderr?: Buffer }).stderr ?? e)}`,
      );
    }
    generated = true;
  }
  return { cert: readFileSync(cert), key: readFileSync(key), generated };
}
