// One reusable scratch region after the static data, for raw typed-array
// bindings: the host asks for N bytes, gets a pointer, writes its inputs there,
// calls the kernel, and reads the outputs back. No allocator, nothing to free.

/** Returns a 16-byte aligned pointer to at least `bytes` bytes, growing memory when needed. */
export function scratch(bytes: i32): usize {
  const base = (__heap_base + 15) & ~(<usize>15);
  const end = base + <usize>bytes;
  const have = (<usize>memory.size()) << 16;
  if (end > have) {
    const pages = <i32>((end - have + 0xffff) >> 16);
    if (memory.grow(pages) < 0) unreachable();
  }
  return base;
}
