/**
 * Instantiates an embedded WebAssembly kernel synchronously, on any runtime
 * (Node, Deno, browsers in workers). Kernels are compiled with the stub
 * runtime and bound raw: the caller copies typed arrays into the kernel's
 * scratch region, calls an export, and reads results back. No glue, no GC.
 */
export interface KernelExports {
  readonly memory: WebAssembly.Memory;
  /** Pointer to at least `bytes` bytes of scratch memory (see assembly/shared/scratch.ts). */
  scratch(bytes: number): number;
  readonly [name: string]: unknown;
}

function decodeBase64(b64: string): Uint8Array {
  const binary = atob(b64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

const abortImport = {
  env: {
    abort(_msg: number, _file: number, line: number, column: number): never {
      throw new Error(`wasm kernel aborted at ${line}:${column}`);
    },
  },
};

/** Compiles and instantiates a kernel from its base64 bytes. */
export function instantiateKernel<T extends KernelExports>(wasmBase64: string): T {
  const module = new WebAssembly.Module(decodeBase64(wasmBase64) as BufferSource);
  return new WebAssembly.Instance(module, abortImport).exports as unknown as T;
}

/** A lazily instantiated kernel: compiled on first use, then reused. */
export function lazyKernel<T extends KernelExports>(wasmBase64: string): () => T {
  let instance: T | undefined;
  return () => {
    instance ??= instantiateKernel<T>(wasmBase64);
    return instance;
  };
}
