/**
 * Process-wide QuickJS WebAssembly module for the codec sandbox.
 *
 * Compiling and instantiating the WASM module is the only asynchronous step; it
 * happens once per process and is memoised. Runtimes and contexts created from
 * the module afterwards are fully synchronous. A failed load is not memoised,
 * so a later call can retry.
 */
import { newQuickJSWASMModuleFromVariant, type QuickJSWASMModule } from 'quickjs-emscripten-core';

let pending: Promise<QuickJSWASMModule> | undefined;

export function loadQuickJSModule(): Promise<QuickJSWASMModule> {
  if (pending === undefined) {
    // Dynamic import: the variant package ships CJS-style typings for an ESM
    // entry, and the core accepts both `{default: variant}` and
    // `{default: {default: variant}}`, so this form is right at runtime and
    // for the type checker alike.
    const loading = newQuickJSWASMModuleFromVariant(import('@jitl/quickjs-wasmfile-release-sync'));
    pending = loading;
    loading.catch(() => {
      if (pending === loading) pending = undefined;
    });
  }
  return pending;
}
