/**
 * framework.AffinityTerm: a parsed PodAffinityTerm (namespaces, namespace
 * selector, label selector with matchLabelKeys/mismatchLabelKeys merged in).
 */
import type { Pod, PodAffinityTerm, WeightedPodAffinityTerm } from "../api/mod.ts";
import {
  labelSelector,
  newRequirement,
  nothing,
  type Requirement,
  requirementMatches,
  type Selector,
} from "../labels/mod.ts";

export interface AffinityTerm {
  readonly namespaces: ReadonlySet<string>;
  readonly namespaceSelector: Selector;
  readonly selector: Selector;
  readonly topologyKey: string;
}

export interface WeightedAffinityTerm extends AffinityTerm {
  readonly weight: number;
}

/**
 * Namespace labels the scheduler would read from the Namespace object. kite is
 * not given Namespace objects, so it uses the label every namespace carries.
 */
export function namespaceLabels(namespace: string): Record<string, string> {
  return { "kubernetes.io/metadata.name": namespace };
}

function withLabelKeys(base: Selector, term: PodAffinityTerm, pod: Pod, field: string): Selector {
  const labels = pod.metadata?.labels ?? {};
  const extra: Requirement[] = [];
  for (const key of term.matchLabelKeys ?? []) {
    const v = labels[key];
    if (v !== undefined) extra.push(newRequirement(key, "In", [v], `${field}.matchLabelKeys`));
  }
  for (const key of term.mismatchLabelKeys ?? []) {
    const v = labels[key];
    if (v !== undefined) extra.push(newRequirement(key, "NotIn", [v], `${field}.mismatchLabelKeys`));
  }
  if (extra.length === 0 || base.nothing) return base;
  return {
    empty: false,
    nothing: false,
    matches: (l) => base.matches(l) && extra.every((r) => requirementMatches(r, l)),
  };
}

export function newAffinityTerm(pod: Pod, term: PodAffinityTerm, field: string): AffinityTerm {
  const podNamespace = pod.metadata?.namespace || "default";
  const namespaces = new Set(term.namespaces ?? []);
  const nsSelector =
    term.namespaceSelector === undefined || term.namespaceSelector === null
      ? nothing
      : labelSelector(term.namespaceSelector, `${field}.namespaceSelector`);
  if (namespaces.size === 0 && nsSelector.nothing) namespaces.add(podNamespace);
  const selector = withLabelKeys(
    labelSelector(term.labelSelector, `${field}.labelSelector`),
    term,
    pod,
    field,
  );
  return { namespaces, namespaceSelector: nsSelector, selector, topologyKey: term.topologyKey ?? "" };
}

export function newWeightedAffinityTerms(
  pod: Pod,
  terms: readonly WeightedPodAffinityTerm[] | undefined,
  field: string,
): WeightedAffinityTerm[] {
  const out: WeightedAffinityTerm[] = [];
  (terms ?? []).forEach((t, i) => {
    if (!t.weight) return;
    out.push({
      ...newAffinityTerm(pod, t.podAffinityTerm, `${field}[${i}].podAffinityTerm`),
      weight: t.weight,
    });
  });
  return out;
}

/** AffinityTerm.Matches: the pod is in one of the term's namespaces and carries matching labels. */
export function affinityTermMatches(term: AffinityTerm, pod: Pod): boolean {
  const ns = pod.metadata?.namespace || "default";
  if (!term.namespaces.has(ns) && !term.namespaceSelector.matches(namespaceLabels(ns))) return false;
  return term.selector.matches(pod.metadata?.labels);
}
