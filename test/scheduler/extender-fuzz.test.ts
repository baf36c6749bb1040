/** Whatever JSON arrives, the extender answers 200 or 400 (never 500) and keeps serving. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createExtenderApp } from "../../adapters/extender/app.ts";
import { MemoryClusterCache } from "../../adapters/extender/cluster-view.ts";
import { decodeExtenderConfig } from "../../adapters/extender/config.ts";

const cache = new MemoryClusterCache();
cache.replace(
  [{ metadata: { name: "n1" }, status: { allocatable: { cpu: "4", memory: "8Gi", pods: "110" } } }],
  [],
);
const app = createExtenderApp({ config: decodeExtenderConfig({ urlPrefix: "/x" }), cluster: cache });

const quantity = fc.oneof(
  fc.constantFrom("1", "100m", "2Gi", "-1", "1e3", "x", ""),
  fc.integer(),
  fc.string(),
);
const container = fc.record(
  {
    name: fc.oneof(fc.string(), fc.integer()),
    image: fc.oneof(fc.string(), fc.constant(null)),
    resources: fc.oneof(
      fc.record(
        { requests: fc.dictionary(fc.constantFrom("cpu", "memory", "example.com/gpu"), quantity) },
        { requiredKeys: [] },
      ),
      fc.anything(),
    ),
    ports: fc.oneof(
      fc.array(fc.record({ hostPort: fc.oneof(fc.integer(), fc.string()), containerPort: fc.integer() })),
      fc.anything(),
    ),
  },
  { requiredKeys: [] },
);
const junk = fc.oneof(fc.anything(), fc.string(), fc.integer(), fc.constant(null));
const requirement = fc.record(
  {
    key: fc.oneof(fc.constantFrom("zone", "kubernetes.io/hostname", "metadata.name"), junk),
    operator: fc.oneof(fc.constantFrom("In", "NotIn", "Exists", "Gt", "Bad"), junk),
    values: fc.oneof(fc.array(fc.oneof(fc.string(), fc.integer())), junk),
  },
  { requiredKeys: [] },
);
const term = fc.record(
  {
    matchExpressions: fc.oneof(fc.array(requirement, { maxLength: 2 }), junk),
    matchFields: fc.oneof(fc.array(requirement, { maxLength: 2 }), junk),
  },
  { requiredKeys: [] },
);
const podTerm = fc.record(
  {
    topologyKey: fc.oneof(fc.constant("zone"), junk),
    labelSelector: fc.oneof(
      fc.record(
        {
          matchLabels: fc.oneof(fc.dictionary(fc.string(), fc.string()), junk),
          matchExpressions: fc.oneof(fc.array(requirement, { maxLength: 2 }), junk),
        },
        { requiredKeys: [] },
      ),
      junk,
    ),
    namespaces: fc.oneof(fc.array(fc.string()), junk),
  },
  { requiredKeys: [] },
);
const affinity = fc.record(
  {
    nodeAffinity: fc.oneof(
      fc.record(
        {
          requiredDuringSchedulingIgnoredDuringExecution: fc.oneof(
            fc.record({ nodeSelectorTerms: fc.oneof(fc.array(term, { maxLength: 2 }), junk) }),
            junk,
          ),
          preferredDuringSchedulingIgnoredDuringExecution: fc.oneof(
            fc.array(fc.record({ weight: fc.oneof(fc.integer(), junk), preference: fc.oneof(term, junk) }), {
              maxLength: 2,
            }),
            junk,
          ),
        },
        { requiredKeys: [] },
      ),
      junk,
    ),
    podAffinity: fc.oneof(
      fc.record(
        {
          requiredDuringSchedulingIgnoredDuringExecution: fc.oneof(fc.array(podTerm, { maxLength: 2 }), junk),
          preferredDuringSchedulingIgnoredDuringExecution: fc.oneof(
            fc.array(
              fc.record({ weight: fc.oneof(fc.integer(), junk), podAffinityTerm: fc.oneof(podTerm, junk) }),
              { maxLength: 2 },
            ),
            junk,
          ),
        },
        { requiredKeys: [] },
      ),
      junk,
    ),
    podAntiAffinity: fc.oneof(
      fc.record(
        {
          requiredDuringSchedulingIgnoredDuringExecution: fc.oneof(fc.array(podTerm, { maxLength: 2 }), junk),
        },
        { requiredKeys: [] },
      ),
      junk,
    ),
  },
  { requiredKeys: [] },
);
const spread = fc.array(
  fc.record(
    {
      maxSkew: fc.oneof(fc.integer(), junk),
      topologyKey: fc.oneof(fc.constant("zone"), junk),
      whenUnsatisfiable: fc.oneof(fc.constantFrom("DoNotSchedule", "ScheduleAnyway"), junk),
      labelSelector: fc.oneof(
        podTerm.map((t) => t.labelSelector),
        junk,
      ),
    },
    { requiredKeys: [] },
  ),
  { maxLength: 2 },
);
const pod = fc.oneof(
  fc.record(
    {
      metadata: fc.oneof(
        fc.record(
          { name: fc.string(), labels: fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer())) },
          { requiredKeys: [] },
        ),
        fc.anything(),
      ),
      spec: fc.oneof(
        fc.record(
          {
            containers: fc.oneof(fc.array(container, { maxLength: 3 }), fc.anything()),
            tolerations: fc.oneof(
              fc.array(
                fc.record(
                  {
                    key: fc.string(),
                    operator: fc.constantFrom("Exists", "Equal", "Gt", "bogus"),
                    effect: fc.string(),
                  },
                  { requiredKeys: [] },
                ),
              ),
              fc.anything(),
            ),
            nodeSelector: fc.oneof(fc.dictionary(fc.string(), fc.string()), fc.anything()),
            priority: fc.oneof(fc.integer(), fc.anything()),
            affinity: fc.oneof(affinity, junk),
            topologySpreadConstraints: fc.oneof(spread, junk),
          },
          { requiredKeys: [] },
        ),
        fc.anything(),
      ),
    },
    { requiredKeys: [] },
  ),
  fc.anything(),
);
const body = fc.oneof(
  fc.record(
    {
      Pod: pod,
      Nodes: fc.oneof(fc.constant(null), fc.anything()),
      NodeNames: fc.oneof(
        fc.constant(null),
        fc.array(fc.oneof(fc.constant("n1"), fc.string())),
        fc.anything(),
      ),
    },
    { requiredKeys: [] },
  ),
  fc.record(
    {
      Pod: pod,
      NodeNameToMetaVictims: fc.oneof(
        fc.constant(null),
        fc.dictionary(fc.constantFrom("n1", "n2"), fc.anything()),
      ),
    },
    { requiredKeys: [] },
  ),
  fc.record({ PodName: fc.anything(), Node: fc.anything() }, { requiredKeys: [] }),
  fc.anything(),
);

describe("extender under random input", () => {
  it("answers 200 or 400 for any JSON body on every verb, never 500", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom("filter", "prioritize", "preempt", "bind"), body, async (verb, b) => {
        const res = await app.request(`/x/${verb}`, { method: "POST", body: JSON.stringify(b) ?? "null" });
        expect([200, 400]).toContain(res.status);
        const json = (await res.json()) as unknown;
        if (res.status === 400) expect(typeof (json as { Error: unknown }).Error).toBe("string");
      }),
      { numRuns: 600, seed: 20261124 },
    );
    const ok = await app.request("/x/filter", {
      method: "POST",
      body: JSON.stringify({ Pod: { metadata: { name: "p" }, spec: { containers: [] } }, NodeNames: ["n1"] }),
    });
    expect(ok.status).toBe(200);
  });
});
