/**
 * Hand-written JSON for the extender's two large responses, the filter result
 * in NodeNames mode and the HostPriorityList (`[{"Host":"n1","Score":7},...]`):
 * the same bytes as the UTF-8 of JSON.stringify's text, written straight into
 * one Buffer, without one object or string per node on the JS heap.
 */
import type { HostScores } from "./prioritize-verb.ts";
import type { ExtenderFilterResult } from "./wire.ts";

// Printable ASCII but the quote and the backslash: written as is, one byte per character.
const plain = /^[\u0020\u0021\u0023-\u005b\u005d-\u007e]*$/;

/** Per name: undefined when written as is, else the inside of its JSON string literal (JSON.stringify's escapes). */
function escapes(names: readonly string[]): { escaped: (string | undefined)[] | undefined; bytes: number } {
  let escaped: (string | undefined)[] | undefined;
  let bytes = 0;
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    if (plain.test(name)) bytes += name.length;
    else {
      escaped ??= new Array(names.length);
      const e = JSON.stringify(name).slice(1, -1);
      escaped[i] = e;
      bytes += Buffer.byteLength(e, "utf8");
    }
  }
  return { escaped, bytes };
}

function writeName(
  out: Buffer,
  o: number,
  names: readonly string[],
  i: number,
  escaped?: (string | undefined)[],
) {
  const e = escaped?.[i];
  return e === undefined ? out.write(names[i]!, o, "latin1") : out.write(e, o, "utf8");
}

const maxScore = 100;
const hostKey = Buffer.from('{"Host":"', "latin1");
const tails = Array.from({ length: maxScore + 1 }, (_, s) => Buffer.from(`","Score":${s}}`, "latin1"));

export function encodeHostPriorityList(r: HostScores): Buffer {
  const { hosts, scores } = r;
  const n = hosts.length;
  const { escaped, bytes } = escapes(hosts);
  let size = 2 + (n > 0 ? n - 1 : 0) + bytes;
  for (let i = 0; i < n; i++) {
    const s = scores[i]!;
    if (!Number.isInteger(s) || s < 0 || s > maxScore) throw new RangeError(`score ${s} of ${hosts[i]}`);
    size += hostKey.length + tails[s]!.length;
  }
  const out = Buffer.allocUnsafe(size);
  let o = 0;
  out[o++] = 0x5b; // [
  for (let i = 0; i < n; i++) {
    if (i > 0) out[o++] = 0x2c; // ,
    o += hostKey.copy(out, o);
    o += writeName(out, o, hosts, i, escaped);
    o += tails[scores[i]!]!.copy(out, o);
  }
  out[o++] = 0x5d; // ]
  return out;
}

/** The filter result; NodeNames mode written directly, Nodes mode (whole Node objects) by JSON.stringify. */
export function encodeFilterResult(r: ExtenderFilterResult): Buffer | string {
  const names = r.NodeNames;
  if (names === null) return JSON.stringify(r);
  // The key order of the object filterVerb builds, as JSON.stringify writes it.
  const head = `{"Nodes":${JSON.stringify(r.Nodes)},"NodeNames":[`;
  const tail = `],"FailedNodes":${JSON.stringify(r.FailedNodes)},"FailedAndUnresolvableNodes":${JSON.stringify(r.FailedAndUnresolvableNodes)},"Error":${JSON.stringify(r.Error)}}`;
  const n = names.length;
  const { escaped, bytes } = escapes(names);
  const out = Buffer.allocUnsafe(
    Buffer.byteLength(head, "utf8") + Buffer.byteLength(tail, "utf8") + bytes + 2 * n + (n > 0 ? n - 1 : 0),
  );
  let o = out.write(head, 0, "utf8");
  for (let i = 0; i < n; i++) {
    if (i > 0) out[o++] = 0x2c; // ,
    out[o++] = 0x22; // "
    o += writeName(out, o, names, i, escaped);
    out[o++] = 0x22;
  }
  o += out.write(tail, o, "utf8");
  return out;
}
