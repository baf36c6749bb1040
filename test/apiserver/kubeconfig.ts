/** KubeConfig text pointing at a fake (or real) API server, for tests. */
export interface TestKubeConfigOptions {
  server: string;
  caCert?: string;
  clientCert?: string;
  clientKey?: string;
  token?: string;
  user?: string;
}

export function kubeConfigYaml(o: TestKubeConfigOptions): string {
  const b64 = (s: string) => Buffer.from(s).toString("base64");
  const cluster = [`    server: ${o.server}`];
  // client-node refuses plain http unless TLS verification is explicitly off.
  if (o.server.startsWith("http://")) cluster.push("    insecure-skip-tls-verify: true");
  if (o.caCert) cluster.push(`    certificate-authority-data: ${b64(o.caCert)}`);
  const user: string[] = [];
  if (o.clientCert) user.push(`    client-certificate-data: ${b64(o.clientCert)}`);
  if (o.clientKey) user.push(`    client-key-data: ${b64(o.clientKey)}`);
  if (o.token) user.push(`    token: ${o.token}`);
  if (user.length === 0) user.push("    {}");
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- name: test",
    "  cluster:",
    ...cluster,
    "users:",
    `- name: ${o.user ?? "test"}`,
    "  user:",
    ...user,
    "contexts:",
    "- name: test",
    "  context:",
    "    cluster: test",
    `    user: ${o.user ?? "test"}`,
    "current-context: test",
    "",
  ].join("\n");
}
