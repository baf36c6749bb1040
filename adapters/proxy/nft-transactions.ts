/**
 * How an nft script is cut into transactions for `nft -f`. Two properties of nft and the kernel
 * (nft 1.0.6, Linux 6.x) shape it:
 *
 * - nft resolves a `goto`/`jump` while it reads the script, so a chain must be declared before any
 *   rule or element naming it: declarations move to the front.
 * - The kernel finds an anonymous set (each `vmap { ... }` literal makes one) by walking the whole
 *   transaction so far, once to bind it to its rule and once per element batch. A full sync at 10k
 *   services declares 110k chains and then writes 10k such maps, which makes that walk quadratic:
 *   the single transaction takes minutes (measured: 240 s, almost all of it in the kernel).
 *   Large scripts are therefore applied as two transactions: first every declaration (tables,
 *   chains, sets and maps: all empty, so nothing changes for traffic), then everything else as
 *   one atomic transaction that starts with the chains carrying `vmap { ... }` literals, while the
 *   transaction is still short. Measured at 10k services: 240 s → about 20 s.
 */

const declaration = /^add (table|chain|set|map) (\S+ \S+)(?: (\S+))?/;
const deletion = /^delete (chain|set|map) (\S+ \S+ \S+)/;
const flushChain = /^flush chain (\S+ \S+) (\S+)$/;
const chainStatement = /^(?:add rule|insert rule|flush chain|delete chain|add chain) (\S+ \S+) (\S+)/;

export interface NftTransactionOptions {
  /** Split into declarations + body when the script has at least this many `vmap {` literals. */
  splitAtVmapLiterals?: number;
}

/** The default threshold: below it one transaction is cheaper (each `nft -f` re-reads the chains). */
export const defaultSplitAtVmapLiterals = 500;

/** Cuts an nft script into the transactions to apply in order (one, or declarations + body). */
export function nftTransactions(script: string, options: NftTransactionOptions = {}): string[] {
  if (script.trim() === "") return [];
  const lines = script.split("\n").filter((l) => l !== "");
  // Objects the script also deletes keep their place: moving their `add` ahead of the `delete`
  // would delete what the script re-creates.
  const deleted = new Set<string>();
  let vmapLiterals = 0;
  for (const l of lines) {
    const m = deletion.exec(l);
    if (m) deleted.add(`${m[1] === "chain" ? "chain" : "set"} ${m[2]}`);
    if (l.includes(" vmap {")) vmapLiterals++;
  }
  const declarations: string[] = [];
  const body: string[] = [];
  for (const l of lines) {
    const m = declaration.exec(l);
    if (m && !(m[3] !== undefined && deleted.has(`${m[1] === "chain" ? "chain" : "set"} ${m[2]} ${m[3]}`)))
      declarations.push(l);
    else body.push(l);
  }
  const threshold = options.splitAtVmapLiterals ?? defaultSplitAtVmapLiterals;
  if (vmapLiterals < threshold || declarations.length === 0)
    return [`${[...declarations, ...body].join("\n")}\n`];
  return [`${declarations.join("\n")}\n`, `${vmapChainsFirst(body, deleted).join("\n")}\n`];
}

/**
 * Moves each block `flush chain X` + its `add rule X ...` lines that contains a `vmap {` literal to
 * the front (after any `flush table`, which must stay first). Blocks are independent of each other:
 * every chain they name was declared in the earlier transaction.
 */
function vmapChainsFirst(body: string[], deleted: Set<string>): string[] {
  // Everything up to the last `flush table` keeps its place: moving a chain ahead of it would
  // let the flush empty it again.
  let start = 0;
  body.forEach((l, k) => {
    if (l.startsWith("flush table ")) start = k + 1;
  });
  const head = body.slice(0, start);
  const moved: string[] = [];
  const rest: string[] = [];
  // A block moves only if nothing before it touched its chain.
  const touched = new Set<string>();
  let i = start;
  while (i < body.length) {
    const l = body[i]!;
    const m = flushChain.exec(l);
    if (!m || deleted.has(`chain ${m[1]} ${m[2]}`) || touched.has(`${m[1]} ${m[2]}`)) {
      const c = chainStatement.exec(l);
      if (c) touched.add(`${c[1]} ${c[2]}`);
      rest.push(l);
      i++;
      continue;
    }
    const prefix = `add rule ${m[1]} ${m[2]} `;
    let j = i + 1;
    while (j < body.length && body[j]!.startsWith(prefix)) j++;
    const block = body.slice(i, j);
    touched.add(`${m[1]} ${m[2]}`);
    (block.some((x) => x.includes(" vmap {")) ? moved : rest).push(...block);
    i = j;
  }
  return [...head, ...moved, ...rest];
}
