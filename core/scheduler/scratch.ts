/**
 * Grow-only scratch buffers reused across scheduling cycles. A cycle runs to
 * completion synchronously, so a buffer handed out here is only valid until
 * the next call that asks for the same one; callers copy out what they keep.
 * Reusing them spares the young generation one off-heap typed array per
 * plugin and request (each one is also work for every scavenge).
 */
export class Float64Scratch {
  #buf = new Float64Array(0);

  /** A buffer of at least n doubles; the contents are unspecified. */
  get(n: number): Float64Array {
    if (this.#buf.length < n) this.#buf = new Float64Array(Math.max(n, this.#buf.length * 2, 64));
    return this.#buf;
  }

  /** A buffer of at least n doubles whose first n are 0. */
  zeroed(n: number): Float64Array {
    const b = this.get(n);
    b.fill(0, 0, n);
    return b;
  }
}

export class Int32Scratch {
  #buf = new Int32Array(0);

  get(n: number): Int32Array {
    if (this.#buf.length < n) this.#buf = new Int32Array(Math.max(n, this.#buf.length * 2, 64));
    return this.#buf;
  }
}
