/** Test PKI through the openssl binary: a cluster CA, serving certificates, client certificates, CSR signing. */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Whether the openssl binary (used to play the cluster CA) is available; suites that need it skip otherwise. */
export const hasOpenssl: boolean = (() => {
  try {
    execFileSync("openssl", ["version"], { stdio: "pipe" });
    return true;
  } catch {
    return false;
  }
})();

export const opensslMissing =
  "openssl is not installed: the test CA cannot be made (apt-get install openssl)";

export interface Pem {
  cert: string;
  key: string;
}

export class TestPki {
  readonly dir: string;
  readonly ca: Pem;
  private serial = 1;

  constructor(name = "kite-test-ca") {
    this.dir = mkdtempSync(join(tmpdir(), "kite-pki-"));
    const key = join(this.dir, "ca.key");
    const cert = join(this.dir, "ca.crt");
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        key,
        "-out",
        cert,
        "-days",
        "30",
        "-subj",
        `/CN=${name}`,
      ],
      { stdio: "pipe" },
    );
    this.ca = { cert: readFileSync(cert, "utf8"), key: readFileSync(key, "utf8") };
  }

  /** A key pair and a certificate signed by the CA. */
  issue(
    subject: { cn: string; o?: string[] },
    options: { days?: number; server?: boolean; ips?: string[] } = {},
  ): Pem {
    const id = this.serial++;
    const key = join(this.dir, `k${id}.key`);
    const csr = join(this.dir, `k${id}.csr`);
    const subj = `/CN=${subject.cn}${(subject.o ?? []).map((o) => `/O=${o}`).join("")}`;
    execFileSync(
      "openssl",
      [
        "req",
        "-new",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        key,
        "-out",
        csr,
        "-subj",
        subj,
      ],
      { stdio: "pipe" },
    );
    const cert = this.signCsr(readFileSync(csr, "utf8"), options);
    return { cert, key: readFileSync(key, "utf8") };
  }

  /** Signs a PEM CSR as the kube-controller-manager's signer would. */
  signCsr(csrPem: string, options: { days?: number; server?: boolean; ips?: string[] } = {}): string {
    const id = this.serial++;
    const csr = join(this.dir, `s${id}.csr`);
    const out = join(this.dir, `s${id}.crt`);
    const ext = join(this.dir, `s${id}.ext`);
    writeFileSync(csr, csrPem);
    const lines = [
      `keyUsage=critical,digitalSignature${options.server ? ",keyEncipherment" : ""}`,
      `extendedKeyUsage=${options.server ? "serverAuth" : "clientAuth"}`,
    ];
    if (options.ips?.length) lines.push(`subjectAltName=${options.ips.map((ip) => `IP:${ip}`).join(",")}`);
    writeFileSync(ext, `${lines.join("\n")}\n`);
    execFileSync(
      "openssl",
      [
        "x509",
        "-req",
        "-in",
        csr,
        "-CA",
        join(this.dir, "ca.crt"),
        "-CAkey",
        join(this.dir, "ca.key"),
        "-set_serial",
        String(1000 + id),
        "-days",
        String(options.days ?? 1),
        "-out",
        out,
        "-extfile",
        ext,
      ],
      { stdio: "pipe" },
    );
    return readFileSync(out, "utf8");
  }

  /** A new key and a PEM CSR for it (what a kubelet sends to certificates.k8s.io). */
  csr(subject: { cn: string; o?: string[] }): { csr: string; key: string } {
    const id = this.serial++;
    const key = join(this.dir, `r${id}.key`);
    const csr = join(this.dir, `r${id}.csr`);
    const subj = `${(subject.o ?? []).map((o) => `/O=${o}`).join("")}/CN=${subject.cn}`;
    execFileSync(
      "openssl",
      [
        "req",
        "-new",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        key,
        "-out",
        csr,
        "-subj",
        subj,
      ],
      { stdio: "pipe" },
    );
    return { csr: readFileSync(csr, "utf8"), key: readFileSync(key, "utf8") };
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
