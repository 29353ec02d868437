import vm from 'node:vm';

/*
 * Watchdog: runs `fn` (host code that enters the engine) under a node:vm
 * timeout. The vm context holds nothing but the trampoline; it exists only
 * because vm is the one synchronous way in Node to cut off a running call
 * (V8 TerminateExecution from a watchdog thread).
 */
interface Watchdog {
  context: vm.Context;
  script: vm.Script;
}
let watchdog: Watchdog | undefined;

export function runWithWatchdog<T>(timeoutMs: number, fn: () => T): T {
  watchdog ??= {
    context: vm.createContext({ trampoline: undefined }),
    script: new vm.Script('trampoline()', { filename: 'codec-sandbox-watchdog' }),
  };
  const { context, script } = watchdog;
  let outcome: { value: T } | undefined;
  context.trampoline = () => {
    outcome = { value: fn() };
  };
  try {
    script.runInContext(context, { timeout: timeoutMs, breakOnSigint: false });
  } finally {
    context.trampoline = undefined;
  }
  if (outcome === undefined) throw new Error('watchdog trampoline did not run');
  return outcome.value;
}

/** Errors may come from the vm context's realm, so no `instanceof Error` here. */
export function errorField(error: unknown, field: 'code' | 'name' | 'message'): unknown {
  return typeof error === 'object' && error !== null ? (error as Record<string, unknown>)[field] : undefined;
}

export function isWatchdogTimeout(error: unknown): boolean {
  return errorField(error, 'code') === 'ERR_SCRIPT_EXECUTION_TIMEOUT';
}
