/**
 * Kubelet TLS bootstrapping and client certificate rotation (pkg/kubelet/certificate/bootstrap):
 * with --bootstrap-kubeconfig and no usable --kubeconfig, send a CSR for system:node:<name>
 * (signer kubernetes.io/kube-apiserver-client-kubelet) through certificates.k8s.io/v1, wait for
 * approval and the signed certificate, store it in --cert-dir, and write --kubeconfig to use it.
 * The certificate is rotated at a random point between 70 % and 90 % of its lifetime.
 */
import { createHash, X509Certificate } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { KiteError } from "../../core/errors/mod.ts";
import type { Logger } from "../log/logger.ts";
import { isAlreadyExists } from "./api-error.ts";
import { sleep as defaultSleep } from "./backoff.ts";
import { createCsr, generateNodeKey } from "./csr.ts";
import { KubeClient } from "./kube-client.ts";

export const kubeletClientSigner = "kubernetes.io/kube-apiserver-client-kubelet";

export interface BootstrapOptions {
  nodeName: string;
  /** --kubeconfig: written once a certificate is issued. */
  kubeconfigPath: string;
  /** --bootstrap-kubeconfig. */
  bootstrapKubeconfigPath?: string;
  /** --cert-dir (kubelet-client-current.pem lives here). */
  certDir: string;
  now?: () => Date;
  /** How often to check the CSR (ms, default 1000) and how long to wait in all (default 1 h). */
  pollIntervalMs?: number;
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  log?: Logger;
}

export interface ClientCredentials {
  kubeConfig: KubeConfig;
  certPem: string;
  keyPem: string;
  notBefore: Date;
  notAfter: Date;
}

const currentPem = (certDir: string) => join(certDir, "kubelet-client-current.pem");

function certInfo(pem: string): { notBefore: Date; notAfter: Date; subject: string } {
  const cert = new X509Certificate(pem);
  return { notBefore: new Date(cert.validFrom), notAfter: new Date(cert.validTo), subject: cert.subject };
}

function splitPem(combined: string): { certPem: string; keyPem: string } {
  const certs = combined.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n?/g) ?? [];
  const key = combined.match(
    /-----BEGIN (?:EC |RSA )?PRIVATE KEY-----[\s\S]*?-----END (?:EC |RSA )?PRIVATE KEY-----\n?/,
  );
  if (certs.length === 0 || !key)
    throw new KiteError(
      "invalid_argument",
      "client certificate file must hold a certificate and a private key",
    );
  return { certPem: certs.join(""), keyPem: key[0] };
}

/** A kubeconfig that uses the rotating cert file, with server and CA from the bootstrap kubeconfig. */
function kubeconfigText(
  server: string,
  caData: string | undefined,
  skipTls: boolean,
  pemPath: string,
): string {
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- name: default-cluster",
    "  cluster:",
    `    server: ${server}`,
    ...(caData ? [`    certificate-authority-data: ${caData}`] : []),
    ...(skipTls ? ["    insecure-skip-tls-verify: true"] : []),
    "users:",
    "- name: default-auth",
    "  user:",
    `    client-certificate: ${pemPath}`,
    `    client-key: ${pemPath}`,
    "contexts:",
    "- name: default-context",
    "  context:",
    "    cluster: default-cluster",
    "    namespace: default",
    "    user: default-auth",
    "current-context: default-context",
    "",
  ].join("\n");
}

function caDataOf(kc: KubeConfig): string | undefined {
  const c = kc.getCurrentCluster();
  if (!c) return undefined;
  if (c.caData) return c.caData;
  if (c.caFile) return readFileSync(c.caFile).toString("base64");
  return undefined;
}

function loadCredentials(kubeconfigPath: string, now: Date): ClientCredentials | undefined {
  if (!existsSync(kubeconfigPath)) return undefined;
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const user = kc.getCurrentUser();
  const certText = user?.certData
    ? Buffer.from(user.certData, "base64").toString()
    : user?.certFile && existsSync(user.certFile)
      ? readFileSync(user.certFile, "utf8")
      : undefined;
  const keyText = user?.keyData
    ? Buffer.from(user.keyData, "base64").toString()
    : user?.keyFile && existsSync(user.keyFile)
      ? readFileSync(user.keyFile, "utf8")
      : undefined;
  if (!certText || !keyText)
    return kc.getCurrentUser()?.token || user?.exec
      ? { kubeConfig: kc, certPem: "", keyPem: "", notBefore: now, notAfter: new Date(8.64e15) }
      : undefined;
  const { certPem } = splitPem(certText.includes("PRIVATE KEY") ? certText : certText + keyText);
  const { keyPem } = splitPem(keyText.includes("CERTIFICATE") ? keyText : certPem + keyText);
  const info = certInfo(certPem);
  if (info.notAfter.getTime() <= now.getTime()) return undefined;
  return { kubeConfig: kc, certPem, keyPem, notBefore: info.notBefore, notAfter: info.notAfter };
}

/** Sends a CSR with `client` and waits for the signed certificate. */
export async function requestNodeCertificate(
  client: KubeClient,
  nodeName: string,
  options: {
    pollIntervalMs?: number;
    timeoutMs?: number;
    sleep?: (ms: number) => Promise<void>;
    log?: Logger;
    now?: () => Date;
  } = {},
): Promise<{ certPem: string; keyPem: string; csrName: string }> {
  const { key, pem: keyPem } = generateNodeKey();
  const csrPem = createCsr({ commonName: `system:node:${nodeName}`, organizations: ["system:nodes"] }, key);
  const digest = createHash("sha512").update(csrPem).digest("base64url").slice(0, 43);
  const csrName = `node-csr-${digest}`;
  try {
    await client.create("/apis/certificates.k8s.io/v1/certificatesigningrequests", {
      apiVersion: "certificates.k8s.io/v1",
      kind: "CertificateSigningRequest",
      metadata: { name: csrName },
      spec: {
        request: Buffer.from(csrPem).toString("base64"),
        signerName: kubeletClientSigner,
        usages: ["digital signature", "client auth"],
      },
    });
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
  options.log?.info("Waiting for client certificate to be issued", { csr: csrName });
  const sleep = options.sleep ?? ((ms: number) => defaultSleep(ms));
  const interval = options.pollIntervalMs ?? 1000;
  const deadline = (options.now?.() ?? new Date()).getTime() + (options.timeoutMs ?? 3_600_000);
  for (;;) {
    const csr = await client.get<{
      status?: { certificate?: string; conditions?: { type: string; reason?: string; message?: string }[] };
    }>(`/apis/certificates.k8s.io/v1/certificatesigningrequests/${csrName}`);
    const bad = csr.status?.conditions?.find((c) => c.type === "Denied" || c.type === "Failed");
    if (bad)
      throw new KiteError(
        "permission_denied",
        `certificate signing request ${csrName} was ${bad.type.toLowerCase()}: ${bad.reason ?? ""} ${bad.message ?? ""}`.trim(),
      );
    if (csr.status?.certificate) {
      return { certPem: Buffer.from(csr.status.certificate, "base64").toString("utf8"), keyPem, csrName };
    }
    if ((options.now?.() ?? new Date()).getTime() > deadline) {
      throw new KiteError(
        "deadline_exceeded",
        `timed out waiting for certificate signing request ${csrName} to be approved and signed`,
      );
    }
    await sleep(interval);
  }
}

/** Writes `kubelet-client-<stamp>.pem` and points `kubelet-client-current.pem` at it. */
function storePem(certDir: string, certPem: string, keyPem: string, now: Date): string {
  mkdirSync(certDir, { recursive: true, mode: 0o700 });
  const stamp = now.toISOString().replace(/[-:]/g, "").replace(/\..*$/, "");
  const file = join(certDir, `kubelet-client-${stamp}.pem`);
  writeFileSync(file, certPem + keyPem, { mode: 0o600 });
  const link = currentPem(certDir);
  const tmp = `${link}.tmp`;
  if (existsSync(tmp)) unlinkSync(tmp);
  symlinkSync(file, tmp);
  renameSync(tmp, link);
  return link;
}

/** Uses --kubeconfig if it holds a valid credential; otherwise bootstraps one with --bootstrap-kubeconfig. */
export async function loadOrBootstrapClientCert(options: BootstrapOptions): Promise<ClientCredentials> {
  const now = options.now?.() ?? new Date();
  const existing = loadCredentials(options.kubeconfigPath, now);
  if (existing) return existing;
  if (!options.bootstrapKubeconfigPath) {
    throw new KiteError(
      "invalid_argument",
      `no usable credentials in ${options.kubeconfigPath} and no --bootstrap-kubeconfig given`,
      { field: "--kubeconfig" },
    );
  }
  const boot = new KubeConfig();
  try {
    boot.loadFromFile(options.bootstrapKubeconfigPath);
  } catch (err) {
    throw new KiteError("invalid_argument", `cannot load bootstrap kubeconfig: ${(err as Error).message}`, {
      field: "--bootstrap-kubeconfig",
      cause: err,
    });
  }
  options.log?.info("Using bootstrap kubeconfig to generate TLS client cert, key and kubeconfig file", {
    path: options.bootstrapKubeconfigPath,
  });
  const { certPem, keyPem } = await requestNodeCertificate(new KubeClient(boot), options.nodeName, options);
  return writeCredentials(options, boot, certPem, keyPem);
}

function writeCredentials(
  options: BootstrapOptions,
  base: KubeConfig,
  certPem: string,
  keyPem: string,
): ClientCredentials {
  const now = options.now?.() ?? new Date();
  const link = storePem(options.certDir, certPem, keyPem, now);
  const cluster = base.getCurrentCluster();
  mkdirSync(dirname(options.kubeconfigPath), { recursive: true });
  writeFileSync(
    options.kubeconfigPath,
    kubeconfigText(cluster?.server ?? "", caDataOf(base), cluster?.skipTLSVerify ?? false, link),
    { mode: 0o600 },
  );
  const kc = new KubeConfig();
  kc.loadFromFile(options.kubeconfigPath);
  const info = certInfo(certPem);
  return { kubeConfig: kc, certPem, keyPem, notBefore: info.notBefore, notAfter: info.notAfter };
}

/** When to rotate: notBefore + lifetime × (0.7 + 0.2 × random). */
export function rotationDeadline(notBefore: Date, notAfter: Date, random: () => number = Math.random): Date {
  const total = notAfter.getTime() - notBefore.getTime();
  return new Date(notBefore.getTime() + total * (0.7 + 0.2 * random()));
}

/** Client certificate rotation (the kubelet's certificate manager for its client cert). */
export class ClientCertRotator {
  private readonly options: BootstrapOptions & {
    random?: () => number;
    onRotate?: (c: ClientCredentials) => void;
  };
  current: ClientCredentials;
  deadline: Date;
  rotations = 0;

  constructor(
    current: ClientCredentials,
    options: BootstrapOptions & { random?: () => number; onRotate?: (c: ClientCredentials) => void },
  ) {
    this.current = current;
    this.options = options;
    this.deadline = rotationDeadline(current.notBefore, current.notAfter, options.random);
  }

  /** Rotates when the deadline has passed (a new key and CSR, sent with the current credentials). */
  async rotateIfDue(): Promise<boolean> {
    const now = this.options.now?.() ?? new Date();
    if (now.getTime() < this.deadline.getTime()) return false;
    const client = new KubeClient(this.current.kubeConfig);
    const { certPem, keyPem } = await requestNodeCertificate(client, this.options.nodeName, this.options);
    this.current = writeCredentials(this.options, this.current.kubeConfig, certPem, keyPem);
    this.deadline = rotationDeadline(this.current.notBefore, this.current.notAfter, this.options.random);
    this.rotations++;
    this.options.log?.info("Rotated client certificate", {
      notAfter: this.current.notAfter.toISOString(),
      nextRotation: this.deadline.toISOString(),
    });
    this.options.onRotate?.(this.current);
    return true;
  }
}
