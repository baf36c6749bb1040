/**
 * A PKCS#10 certificate signing request for an ECDSA P-256 key, DER-encoded by hand (Node's crypto
 * signs but cannot build CSRs). Subject: O=<orgs...>, CN=<commonName>, as the kubelet sends.
 */
import { createPublicKey, generateKeyPairSync, type KeyObject, sign } from "node:crypto";

function len(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function der(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), len(body.length), body]);
}

export function oid(dotted: string): Buffer {
  const parts = dotted.split(".").map(Number);
  const bytes: number[] = [40 * (parts[0] ?? 0) + (parts[1] ?? 0)];
  for (const p of parts.slice(2)) {
    const chunk: number[] = [p & 0x7f];
    for (let v = p >> 7; v > 0; v >>= 7) chunk.unshift(0x80 | (v & 0x7f));
    bytes.push(...chunk);
  }
  return der(0x06, Buffer.from(bytes));
}

const seq = (...c: Buffer[]) => der(0x30, ...c);
const set = (...c: Buffer[]) => der(0x31, ...c);
const utf8 = (s: string) => der(0x0c, Buffer.from(s, "utf8"));

const oidOrganization = "2.5.4.10";
const oidCommonName = "2.5.4.3";
const oidEcdsaWithSha256 = "1.2.840.10045.4.3.2";

export interface CsrSubject {
  commonName: string;
  organizations?: string[];
}

export function createCsr(subject: CsrSubject, key: KeyObject): string {
  const rdns = [
    ...(subject.organizations ?? []).map((o) => set(seq(oid(oidOrganization), utf8(o)))),
    set(seq(oid(oidCommonName), utf8(subject.commonName))),
  ];
  const name = seq(...rdns);
  const spki = createPublicKey(key).export({ type: "spki", format: "der" });
  const info = seq(der(0x02, Buffer.from([0])), name, spki, der(0xa0));
  const signature = sign("sha256", info, key);
  const csr = seq(info, seq(oid(oidEcdsaWithSha256)), der(0x03, Buffer.from([0]), signature));
  const b64 = csr.toString("base64").replace(/(.{64})/g, "$1\n");
  return `-----BEGIN CERTIFICATE REQUEST-----\n${b64.trimEnd()}\n-----END CERTIFICATE REQUEST-----\n`;
}

/** A new ECDSA P-256 key (what the kubelet generates for its client certificate). */
export function generateNodeKey(): { key: KeyObject; pem: string } {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return { key: privateKey, pem: privateKey.export({ type: "sec1", format: "pem" }).toString() };
}
