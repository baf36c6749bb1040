import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { KiteError } from "../../core/errors/mod.ts";
import { parseManifestFile } from "./manifest-source.ts";
import { validatePod } from "./static-pod.ts";

const good = `apiVersion: v1
kind: Pod
metadata: { name: web }
spec:
  containers:
    - name: app
      image: kite.local/busybox:1
`;

describe("static pod manifests", () => {
  it("applies the kubelet's static pod defaults", () => {
    const { pods, errors } = parseManifestFile("/m/web.yaml", good, "Node-1");
    expect(errors).toEqual([]);
    const pod = pods[0]!;
    expect(pod.metadata.name).toBe("web-node-1");
    expect(pod.metadata.namespace).toBe("default");
    expect(pod.metadata.uid).toMatch(/^[0-9a-f]{32}$/);
    expect(pod.metadata.annotations?.["kubernetes.io/config.source"]).toBe("file");
    expect(pod.metadata.annotations?.["kubernetes.io/config.hash"]).toBe(pod.metadata.uid);
    expect(pod.spec.nodeName).toBe("Node-1");
    expect(pod.spec.restartPolicy).toBe("Always");
    expect(pod.spec.terminationGracePeriodSeconds).toBe(30);
    expect(pod.spec.tolerations).toContainEqual({ operator: "Exists", effect: "NoExecute" });
  });

  it("gives the same manifest the same UID (adoption after restart) and a changed one a new UID", () => {
    const a = parseManifestFile("/m/web.yaml", good, "n").pods[0]!;
    const b = parseManifestFile("/m/web.yaml", good, "n").pods[0]!;
    const c = parseManifestFile("/m/web.yaml", good.replace("busybox:1", "busybox:2"), "n").pods[0]!;
    const d = parseManifestFile("/m/other.yaml", good, "n").pods[0]!;
    expect(a.metadata.uid).toBe(b.metadata.uid);
    expect(c.metadata.uid).not.toBe(a.metadata.uid);
    expect(d.metadata.uid).not.toBe(a.metadata.uid);
  });

  it("reads several YAML documents and JSON", () => {
    const two = `${good}---\n${good.replace("name: web", "name: api")}`;
    expect(parseManifestFile("/m/x.yaml", two, "n").pods.map((p) => p.metadata.name)).toEqual([
      "web-n",
      "api-n",
    ]);
    const json = JSON.stringify({
      metadata: { name: "j" },
      spec: { containers: [{ name: "c", image: "i:1" }] },
    });
    expect(parseManifestFile("/m/j.json", json, "n").pods).toHaveLength(1);
  });

  it.each([
    ["missing image", good.replace("      image: kite.local/busybox:1\n", ""), "spec.containers[0].image"],
    ["bad name", good.replace("name: web", "name: Web_1"), "metadata.name"],
    ["no containers", "metadata: { name: a }\nspec: { containers: [] }\n", "spec.containers"],
    ["bad restart policy", good.replace("spec:", "spec:\n  restartPolicy: Sometimes"), "spec.restartPolicy"],
    [
      "bad cpu",
      good.replace("image: kite.local/busybox:1", "image: x:1\n      resources: { limits: { cpu: lots } }"),
      "spec.containers[0].resources.limits.cpu",
    ],
    [
      "two probe handlers",
      good.replace(
        "image: kite.local/busybox:1",
        "image: x:1\n      livenessProbe: { exec: { command: [a] }, tcpSocket: { port: 1 } }",
      ),
      "spec.containers[0].livenessProbe",
    ],
    [
      "unknown volume",
      good.replace(
        "image: kite.local/busybox:1",
        "image: x:1\n      volumeMounts: [{ name: v, mountPath: /v }]",
      ),
      "spec.containers[0].volumeMounts[0].name",
    ],
    ["unsupported volume", `${good}  volumes: [{ name: v, configMap: { name: c } }]\n`, "spec.volumes[0]"],
    [
      "port out of range",
      good.replace("image: kite.local/busybox:1", "image: x:1\n      ports: [{ containerPort: 70000 }]"),
      "spec.containers[0].ports[0].containerPort",
    ],
  ])("reports %s with the field", (_, text, field) => {
    const { pods, errors } = parseManifestFile("/m/bad.yaml", text, "n");
    expect(pods).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.origin).toBe("/m/bad.yaml");
    expect(errors[0]!.field).toBe(field);
  });

  it("reports broken YAML with its position", () => {
    const { errors } = parseManifestFile("/m/y.yaml", "metadata: [oops\n", "n");
    expect(errors[0]?.message).toMatch(/^invalid YAML at line \d+, column \d+/);
  });

  it("never throws on arbitrary input: a pod or a KiteError naming a field", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        try {
          validatePod(v);
        } catch (e) {
          expect(e).toBeInstanceOf(KiteError);
          expect((e as KiteError).code).toBe("invalid_argument");
        }
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.string(), (text) => {
        const r = parseManifestFile("/m/f.yaml", text, "n");
        for (const e of r.errors) expect(e.origin.startsWith("/m/f.yaml")).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
