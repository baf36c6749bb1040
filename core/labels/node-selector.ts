import type { Node, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm } from "../api/core.ts";
import { invalidArgument, KiteError } from "../errors/kite-error.ts";
import { newRequirement, type Requirement, requirementMatches } from "./label-selector.ts";

/** One parsed node selector term: its label requirements and its field requirements, all ANDed. */
export interface ParsedNodeSelectorTerm {
  readonly labelRequirements: readonly Requirement[];
  readonly fieldRequirements: readonly Requirement[];
}

/** A compiled v1.NodeSelector: terms ORed; terms that failed to parse never match. */
export interface CompiledNodeSelector {
  readonly terms: readonly ParsedNodeSelectorTerm[];
  /** Why a term was dropped, by term index. */
  readonly errors: readonly KiteError[];
  matches(node: Pick<Node, "metadata">): boolean;
}

const supportedFields = new Set(["metadata.name"]);

function parseLabelRequirement(r: NodeSelectorRequirement, field: string): Requirement {
  return newRequirement(r.key, r.operator, r.values ?? [], field);
}

function parseFieldRequirement(r: NodeSelectorRequirement, field: string): Requirement {
  if (!supportedFields.has(r.key)) {
    throw invalidArgument(`${field}.key`, `not a valid field selector key: ${JSON.stringify(r.key)}`);
  }
  if (r.operator !== "In" && r.operator !== "NotIn") {
    throw invalidArgument(
      `${field}.operator`,
      `not a valid selector operator: ${JSON.stringify(r.operator)}`,
    );
  }
  if ((r.values ?? []).length !== 1) {
    throw invalidArgument(`${field}.values`, "must have one element");
  }
  return { key: r.key, operator: r.operator, values: [...(r.values ?? [])] };
}

/** Parses one term. An empty term (no expressions and no fields) matches no node. */
export function parseNodeSelectorTerm(term: NodeSelectorTerm, field: string): ParsedNodeSelectorTerm {
  return {
    labelRequirements: (term.matchExpressions ?? []).map((r, i) =>
      parseLabelRequirement(r, `${field}.matchExpressions[${i}]`),
    ),
    fieldRequirements: (term.matchFields ?? []).map((r, i) =>
      parseFieldRequirement(r, `${field}.matchFields[${i}]`),
    ),
  };
}

export function nodeSelectorTermMatches(term: ParsedNodeSelectorTerm, node: Pick<Node, "metadata">): boolean {
  if (term.labelRequirements.length === 0 && term.fieldRequirements.length === 0) return false;
  const labels = node.metadata?.labels;
  for (const r of term.labelRequirements) if (!requirementMatches(r, labels)) return false;
  if (term.fieldRequirements.length > 0) {
    const fields = { "metadata.name": node.metadata?.name ?? "" };
    for (const r of term.fieldRequirements) if (!requirementMatches(r, fields)) return false;
  }
  return true;
}

/**
 * Compiles a v1.NodeSelector as the scheduler's nodeaffinity helper does:
 * a node matches when any parsed term matches; a term with an invalid
 * requirement is dropped (and reported in `errors`), the others still count.
 */
export function compileNodeSelector(selector: NodeSelector, field = "nodeSelector"): CompiledNodeSelector {
  const terms: ParsedNodeSelectorTerm[] = [];
  const errors: KiteError[] = [];
  (selector.nodeSelectorTerms ?? []).forEach((term, i) => {
    try {
      terms.push(parseNodeSelectorTerm(term, `${field}.nodeSelectorTerms[${i}]`));
    } catch (e) {
      errors.push(KiteError.from(e, "invalid_argument"));
    }
  });
  return {
    terms,
    errors,
    matches: (node) => terms.some((t) => nodeSelectorTermMatches(t, node)),
  };
}

/** Like compileNodeSelector, but any invalid term is an error (for validating user input). */
export function compileNodeSelectorStrict(
  selector: NodeSelector,
  field = "nodeSelector",
): CompiledNodeSelector {
  const compiled = compileNodeSelector(selector, field);
  if (compiled.errors[0]) throw compiled.errors[0];
  return compiled;
}
