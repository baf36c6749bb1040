/**
 * Hand-written JSON for the extender's largest response, the HostPriorityList
 * (`[{"Host":"n1","Score":7},...]`): the same text JSON.stringify gives for the
 * list of objects, joined from the names and constant pieces without building
 * one object (or one intermediate string) per node.
 */
import type { HostScores } from "./prioritize-verb.ts";

// A name needs JSON escaping when it has a quote, a backslash, a control character or a surrogate
// (JSON.stringify writes lone surrogates as \u escapes).
const needsEscape = /["\\\u0000-\u001f\ud800-\udfff]/;

/** The inside of the JSON string literal for s (without the quotes), as JSON.stringify(s) writes it. */
function escaped(s: string): string {
  return needsEscape.test(s) ? JSON.stringify(s).slice(1, -1) : s;
}

const maxScore = 100;
const between = Array.from({ length: maxScore + 1 }, (_, s) => `","Score":${s}},{"Host":"`);
const last = Array.from({ length: maxScore + 1 }, (_, s) => `","Score":${s}}]`);

export function encodeHostPriorityList(r: HostScores): string {
  const { hosts, scores } = r;
  const n = hosts.length;
  if (n === 0) return "[]";
  const parts: string[] = new Array(2 * n + 1);
  parts[0] = '[{"Host":"';
  for (let i = 0; i < n; i++) {
    const s = scores[i]!;
    if (!Number.isInteger(s) || s < 0 || s > maxScore) throw new RangeError(`score ${s} of ${hosts[i]}`);
    parts[2 * i + 1] = escaped(hosts[i]!);
    parts[2 * i + 2] = (i === n - 1 ? last : between)[s]!;
  }
  return parts.join("");
}
