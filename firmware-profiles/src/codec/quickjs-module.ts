/**
 * QuickJS WebAssembly engine instances for the codec sandbox.
 *
 * The WASM binary is read and compiled once per process. `loadQuickJS()` does
 * that and is memoised. Afterwards `currentQuickJS()` synchronously returns
 * the instance to create runtimes in. Every instance gets its own
 * `WebAssembly.Memory` with a hard maximum (WASM_MEMORY_MAX_BYTES). This is the
 * one memory bound that really holds. In this build QuickJS cannot see
 * allocation sizes (`malloc_usable_size` is unavailable), so `setMemoryLimit`
 * counts about 8 bytes per allocation. It stops single oversized allocations
 * but not many large ones.
 *
 * An instance must be thrown away if execution inside it was cut off from
 * the host side (watchdog termination, host stack overflow). The C heap or the
 * shadow stack may then be inconsistent. `replaceQuickJS()` drops it and
 * promotes a spare instance that is already instantiated, so decoding stays
 * synchronous. A new spare is then made in the background.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import {
  newQuickJSWASMModuleFromVariant,
  newVariant,
  type QuickJSSyncVariant,
  type QuickJSWASMModule,
} from 'quickjs-emscripten-core';

/** Upper bound for the linear memory of one engine instance (all sandboxes share it). */
export const WASM_MEMORY_MAX_BYTES = 128 * 1024 * 1024;

const WASM_PAGE_BYTES = 64 * 1024;
/** The variant's own default initial memory (16 MiB). */
const WASM_INITIAL_PAGES = 256;
const VARIANT_PACKAGE = '@jitl/quickjs-wasmfile-release-sync';

/** The part of the WebAssembly JS API used here (not in this project's TS lib set). */
interface WasmApi {
  compile(bytes: Uint8Array): Promise<WasmModule>;
  Memory: new (descriptor: { initial: number; maximum: number }) => object;
}
type WasmModule = object & { readonly __wasmModule?: never };
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface Compiled {
  variant: QuickJSSyncVariant;
  wasm: WasmModule;
}

let compiled: Compiled | undefined;
let current: QuickJSWASMModule | undefined;
let spare: QuickJSWASMModule | undefined;
let refilling: Promise<void> | undefined;

/** The package's default export, whichever ESM/CJS interop shape the loader produced. */
function unwrapVariant(imported: unknown): QuickJSSyncVariant {
  let candidate: unknown = imported;
  for (let i = 0; i < 3; i++) {
    if (candidate !== null && typeof candidate === 'object' && 'importFFI' in candidate) {
      return candidate as QuickJSSyncVariant;
    }
    candidate = (candidate as { default?: unknown } | null)?.default;
  }
  throw new Error(`${VARIANT_PACKAGE} did not export a QuickJS variant`);
}

async function compile(): Promise<Compiled> {
  const variant = unwrapVariant(await import('@jitl/quickjs-wasmfile-release-sync'));
  const wasmPath = createRequire(import.meta.url).resolve(`${VARIANT_PACKAGE}/wasm`);
  const wasm = await wasmApi.compile(await readFile(wasmPath));
  return { variant, wasm };
}

function instantiate({ variant, wasm }: Compiled): Promise<QuickJSWASMModule> {
  const wasmMemory = new wasmApi.Memory({
    initial: WASM_INITIAL_PAGES,
    maximum: WASM_MEMORY_MAX_BYTES / WASM_PAGE_BYTES,
  });
  return newQuickJSWASMModuleFromVariant(newVariant(variant, { wasmModule: wasm, wasmMemory }));
}

/** Fills the current and spare slots. Concurrent calls share one refill. */
function refill(): Promise<void> {
  refilling ??= (async () => {
    try {
      compiled ??= await compile();
      while (current === undefined || spare === undefined) {
        if (current === undefined && spare !== undefined) {
          current = spare;
          spare = undefined;
        } else {
          const instance: QuickJSWASMModule = await instantiate(compiled);
          if (current === undefined) current = instance;
          else spare = instance;
        }
      }
    } finally {
      refilling = undefined;
    }
  })();
  return refilling;
}

/**
 * Makes sure an engine instance is ready. The only asynchronous step. Cheap once
 * ready. Rejects if the WASM cannot be loaded; a later call retries.
 */
export async function loadQuickJS(): Promise<void> {
  while (current === undefined) await refill();
}

/** The engine instance to run in, or undefined while replacing a broken one. */
export function currentQuickJS(): QuickJSWASMModule | undefined {
  return current;
}

/**
 * Retires `broken` (if it is still current): promotes the spare and prepares
 * a new spare in the background.
 */
export function replaceQuickJS(broken: QuickJSWASMModule): void {
  if (current !== broken) return;
  // Take the spare out of its slot first, so no interruption can leave one
  // instance in both slots.
  const next = spare;
  spare = undefined;
  current = next;
  refill().catch(() => {
    // Loading worked before, so this is unexpected. The next loadQuickJS() retries.
  });
}
