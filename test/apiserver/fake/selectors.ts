/** Field and label selector strings, as the API server parses them from query parameters. */
import { newRequirement, type Requirement, requirementMatches } from "../../../core/labels/mod.ts";

export type ObjectPredicate = (obj: Record<string, unknown>) => boolean;

export function fieldValue(obj: unknown, path: string): string {
  let cur: unknown = obj;
  for (const part of path.split(".")) {
    if (cur === null || typeof cur !== "object") return "";
    cur = (cur as Record<string, unknown>)[part];
  }
  if (cur === undefined || cur === null) return "";
  return String(cur);
}

export class SelectorError extends Error {}

/** `a=b,c!=d` (also `==`). Every term must hold. */
export function parseFieldSelector(text: string | null): ObjectPredicate {
  if (!text) return () => true;
  const terms = text.split(",").map((term) => {
    const m = /^([^!=]+)(==|=|!=)(.*)$/.exec(term.trim());
    if (!m) throw new SelectorError(`invalid field selector term ${JSON.stringify(term)}`);
    const [, field = "", op = "", value = ""] = m;
    return { field: field.trim(), negate: op === "!=", value: value.trim() };
  });
  return (obj) => terms.every((t) => (fieldValue(obj, t.field) === t.value) !== t.negate);
}

/** `a=b,c!=d,e in (x,y),f notin (z),g,!h`. */
export function parseLabelSelector(text: string | null): ObjectPredicate {
  if (!text) return () => true;
  const reqs: Requirement[] = [];
  const parts: string[] = [];
  let depth = 0;
  let cur = "";
  for (const ch of text) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (ch === "," && depth === 0) {
      parts.push(cur);
      cur = "";
    } else cur += ch;
  }
  parts.push(cur);
  for (const raw of parts) {
    const part = raw.trim();
    if (part === "") continue;
    const inOp = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(part);
    const eqOp = /^([^!=\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(part);
    const notOp = /^!\s*(\S+)$/.exec(part);
    try {
      if (inOp) {
        const values = (inOp[3] ?? "").split(",").map((v) => v.trim());
        reqs.push(newRequirement(inOp[1] ?? "", inOp[2] === "in" ? "In" : "NotIn", values, "labelSelector"));
      } else if (eqOp) {
        reqs.push(
          newRequirement(eqOp[1] ?? "", eqOp[2] === "!=" ? "NotIn" : "In", [eqOp[3] ?? ""], "labelSelector"),
        );
      } else if (notOp) {
        reqs.push(newRequirement(notOp[1] ?? "", "DoesNotExist", [], "labelSelector"));
      } else {
        reqs.push(newRequirement(part, "Exists", [], "labelSelector"));
      }
    } catch (err) {
      throw new SelectorError(`invalid label selector ${JSON.stringify(text)}: ${(err as Error).message}`);
    }
  }
  return (obj) => {
    const labels = ((obj.metadata as Record<string, unknown> | undefined)?.labels ?? {}) as Record<
      string,
      string
    >;
    return reqs.every((r) => requirementMatches(r, labels));
  };
}
