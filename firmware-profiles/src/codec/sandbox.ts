/**
 * Sandbox for third-party LoRaWAN payload codecs (JavaScript).
 *
 * Why QuickJS compiled to WebAssembly: codecs come from device vendors and
 * community repositories, so they are untrusted code. `node:vm` is not a
 * security boundary: the codec would share the host's V8 heap, could walk
 * prototypes back to the host's `Function` constructor, and has no memory cap.
 * QuickJS in WASM has its own heap inside the module's linear memory and its
 * own object graph. The codec can reach only what we put in its global object,
 * which is nothing except a no-op `console`. Only strings cross the boundary:
 * the input goes in as a source literal, and the output comes out as
 * `JSON.stringify` run inside the VM. No VM object is ever handed to host
 * code. The codec never runs in the host realm.
 *
 * Why a fresh context per message: like ChirpStack, each decode evaluates the
 * codec in a new QuickJS context. Globals or prototype patches left by one
 * message, by accident or on purpose, cannot affect the next. This goes one
 * step further and gives each decode a fresh runtime too. The runtime carries
 * the memory limit, the stack limit and the deadline interrupt handler.
 * Creating a runtime costs no more than creating a context (measured), and
 * freeing it is the only way this QuickJS API offers to collect a disposed
 * context's cyclic garbage right away. Without that, one codec's big
 * ArrayBuffers would linger and could starve the next codec.
 *
 * Limits, and why each is enforced the way it is:
 * - Time: the QuickJS interrupt handler checks a deadline. QuickJS only polls
 *   it every ~10k bytecode branches/calls, and a single built-in call
 *   (`fill`, `sort`, `indexOf` on megabytes) does not poll at all. A hostile
 *   loop over such calls ran for 30-170 s against a 50 ms deadline. So each
 *   engine entry also runs under a `node:vm` timeout, which is only used as a
 *   watchdog for host code here; no codec code runs in that vm context. If the
 *   watchdog fires, execution is cut off inside WASM. The engine instance is
 *   then replaced (see quickjs-module.ts).
 * - Memory: `setMemoryLimit` is set as required. In this build it counts about
 *   8 bytes per allocation, so it only refuses single oversized allocations.
 *   The real cap is the engine instance's WebAssembly.Memory maximum
 *   (WASM_MEMORY_MAX_BYTES).
 * - Stack: QuickJS counts only the WASM shadow stack. The interpreter's native
 *   frames are on the host (V8) thread stack, and some recursive paths (the
 *   parser in `eval`, JSON) use about 20x more native stack than shadow stack.
 *   Too high a QuickJS limit lets a codec overflow the host stack first. So
 *   `maxStackBytes` is capped at MAX_STACK_BYTES (see the measurements there).
 */
import vm from 'node:vm';
import type { QuickJSContext, QuickJSHandle, QuickJSWASMModule } from 'quickjs-emscripten-core';
import { z } from 'zod';
import { parseCodecOutput, type OutputShape } from './codec-output.js';
import { WASM_MEMORY_MAX_BYTES, currentQuickJS, loadQuickJS, replaceQuickJS } from './quickjs-module.js';

export type CodecApi = 'ts013' | 'ttn-v2' | 'chirpstack-v3';

export interface CodecLimits {
  /**
   * Wall-clock budget per decode (and for the top-level check at create), in ms.
   * Enforced by the QuickJS interrupt handler; a watchdog stops anything still
   * running after 2 * timeoutMs + 20 ms.
   */
  timeoutMs: number;
  /**
   * QuickJS `setMemoryLimit` per runtime, in bytes (at most WASM_MEMORY_MAX_BYTES).
   * In this build it reliably refuses only single allocations larger than this.
   * Total memory is capped by the engine's WASM memory maximum.
   */
  memoryBytes: number;
  /** QuickJS (WASM shadow) stack limit, in bytes. At most MAX_STACK_BYTES. */
  maxStackBytes: number;
  /** Maximum UTF-8 size of the codec's JSON-serialised result, in bytes. */
  maxOutputBytes: number;
}

/**
 * Hard ceiling for `maxStackBytes`. Measured with Node 20 and QuickJS 0.32
 * (release-sync build), before the WASM code is tiered up, which is the worst
 * case. Evaluating `[[[...]]]` nested 100k deep overflows the default ~1 MB V8
 * stack at about 42 KiB of QuickJS stack when called from a shallow host
 * stack, and at about 32 KiB when the host is already about 3000 frames deep.
 * At 24 KiB every recursion pattern we tried ends in a clean QuickJS
 * "stack overflow".
 */
export const MAX_STACK_BYTES = 24 * 1024;

export const defaultCodecLimits: CodecLimits = Object.freeze({
  timeoutMs: 50,
  memoryBytes: 16 * 1024 * 1024,
  maxStackBytes: MAX_STACK_BYTES,
  maxOutputBytes: 64 * 1024,
});

export interface CodecInput {
  bytes: Uint8Array;
  fPort: number;
  recvTime: Date;
  /** ChirpStack v3 device variables (passed as the third `Decode` argument). */
  variables?: Record<string, string>;
}

export interface CodecOutput {
  data: Record<string, unknown>;
  warnings: string[];
}

export type CodecErrorKind =
  | 'syntax'
  | 'missing-function'
  | 'timeout'
  | 'memory'
  | 'threw'
  | 'invalid-output'
  | 'codec-errors';

export class CodecError extends Error {
  override readonly name = 'CodecError';
  readonly kind: CodecErrorKind;
  /** Name of the codec (as given to `CodecSandbox.create`). */
  readonly codec: string;
  /** What went wrong, without the codec prefix. */
  readonly detail: string;

  constructor(codec: string, kind: CodecErrorKind, detail: string, options?: ErrorOptions) {
    super(`codec "${codec}": ${detail}`, options);
    this.kind = kind;
    this.codec = codec;
    this.detail = detail;
  }
}

interface ApiSpec {
  functionName: string;
  shape: OutputShape;
  /** Argument list for the entry point, as JS source. */
  args(bytes: string, fPort: string, recvMs: string, variablesJson: string): string;
}

const API_SPECS: Readonly<Record<CodecApi, ApiSpec>> = {
  ts013: {
    functionName: 'decodeUplink',
    shape: 'ts013-result',
    args: (bytes, fPort, recvMs) => `{ bytes: ${bytes}, fPort: ${fPort}, recvTime: new Date(${recvMs}) }`,
  },
  'ttn-v2': {
    functionName: 'Decoder',
    shape: 'data-object',
    args: (bytes, fPort) => `${bytes}, ${fPort}`,
  },
  'chirpstack-v3': {
    functionName: 'Decode',
    shape: 'data-object',
    args: (bytes, fPort, _recvMs, variablesJson) => `${fPort}, ${bytes}, JSON.parse(${variablesJson})`,
  },
};

const MIN_MEMORY_BYTES = 1024 * 1024;
const MIN_STACK_BYTES = 8 * 1024;
const MIN_OUTPUT_BYTES = 1024;
/** Longest error text reported from the VM. */
const MAX_MESSAGE_CHARS = 500;

const limitsSchema = z.object({
  timeoutMs: z.number().int().min(1).max(60_000),
  memoryBytes: z.number().int().min(MIN_MEMORY_BYTES).max(WASM_MEMORY_MAX_BYTES),
  maxStackBytes: z.number().int().min(MIN_STACK_BYTES).max(MAX_STACK_BYTES),
  maxOutputBytes: z.number().int().min(MIN_OUTPUT_BYTES).max(16 * 1024 * 1024),
});

function resolveLimits(overrides: Partial<CodecLimits>): CodecLimits {
  const merged: Record<string, unknown> = { ...defaultCodecLimits };
  for (const [key, value] of Object.entries(overrides)) if (value !== undefined) merged[key] = value;
  const result = limitsSchema.safeParse(merged);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new RangeError(`invalid codec limits: ${problems}`);
  }
  return Object.freeze(result.data);
}

/**
 * Evaluated in each fresh context before the codec source: a no-op console.
 * It uses no host function and declares no global binding, so a codec's own
 * `console` declaration cannot collide with it.
 */
const CONSOLE_SHIM =
  '(function () { var n = function () {}; globalThis.console = { log: n, info: n, warn: n, error: n, debug: n, trace: n }; })()';

/**
 * Evaluated after the codec source: calls the entry point and serialises the
 * result inside the VM. Returns a string whose first character is a status:
 *   R<json>  the result, serialised
 *   I<text>  the result cannot be used (undefined, a function, NaN, a cycle...)
 *   F        the entry point is not a function
 * Exceptions thrown by the codec are not caught here. They reach the host,
 * which tells resource errors from ordinary throws. Because the driver runs
 * after the codec, a codec could swap `JSON`, `Promise` or `InternalError`
 * and so sabotage its own result. That is harmless: the host trusts nothing
 * in the returned string and validates it. The driver is kept small because
 * QuickJS parses it again for every decode.
 */
function driverSource(entry: string, args: string): string {
  return `(function (f, S, P, I) {
if (typeof f !== "function") return "F";
var r = f(${args});
if (r === void 0) return "Ireturned undefined";
if (typeof r === "function") return "Ireturned a function";
if (r instanceof P) return "Ireturned a Promise (async codecs are not supported)";
var B = {}, b = "", j;
try {
  j = S(r, function (k, v) {
    var t = typeof v;
    if (t === "number" ? v !== v || v === 1 / 0 || v === -1 / 0 : t === "function" || t === "symbol" || t === "bigint") {
      b = (t === "number" ? "non-finite number " + v : t + " value") + (k === "" ? " as the result" : " at key " + S(k).slice(0, 100));
      throw B;
    }
    return v;
  });
} catch (e) {
  if (e === B) return "Ioutput contains a " + b;
  if (e instanceof I) throw e;
  return ("Ioutput cannot be serialised to JSON: " + (e && e.name) + ": " + (e && e.message)).slice(0, ${MAX_MESSAGE_CHARS});
}
return typeof j === "string" ? "R" + j : "Ireturned a value that JSON cannot represent";
})(typeof ${entry} === "function" ? ${entry} : void 0, JSON.stringify, Promise, InternalError)`;
}

/** Which of the evaluations in a context failed, for messages. */
type Stage = 'console' | 'top-level' | 'call';

function toBytes(bytes: Uint8Array): Uint8Array {
  return bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes as ArrayLike<number>);
}

function numberLiteral(value: number): string {
  return Number.isFinite(value) ? String(value) : 'NaN';
}

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

function runWithWatchdog<T>(timeoutMs: number, fn: () => T): T {
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
function errorField(error: unknown, field: 'code' | 'name' | 'message'): unknown {
  return typeof error === 'object' && error !== null ? (error as Record<string, unknown>)[field] : undefined;
}

function isWatchdogTimeout(error: unknown): boolean {
  return errorField(error, 'code') === 'ERR_SCRIPT_EXECUTION_TIMEOUT';
}

export class CodecSandbox {
  readonly name: string;
  readonly api: CodecApi;
  readonly limits: Readonly<CodecLimits>;

  readonly #source: string;
  readonly #spec: ApiSpec;
  #deadline = 0;
  #interrupted = false;
  #disposed = false;

  private constructor(source: string, api: CodecApi, name: string, limits: CodecLimits) {
    this.#source = source;
    this.#spec = API_SPECS[api];
    this.api = api;
    this.name = name;
    this.limits = limits;
  }

  /**
   * Loads QuickJS (compiled once per process), then checks that `source`
   * compiles, that its top-level code runs within the limits, and that it
   * defines the entry point of `api`. Throws CodecError (kind syntax,
   * missing-function, threw, timeout or memory) naming `name`. Throws
   * RangeError for invalid limits.
   */
  static async create(
    source: string,
    api: CodecApi,
    name: string,
    limits: Partial<CodecLimits> = {},
  ): Promise<CodecSandbox> {
    if (!Object.hasOwn(API_SPECS, api)) throw new TypeError(`unknown codec API ${JSON.stringify(api)}`);
    if (typeof source !== 'string') throw new TypeError('codec source must be a string');
    const resolved = resolveLimits(limits);
    await loadQuickJS();
    const sandbox = new CodecSandbox(source, api, name, resolved);
    sandbox.#execute('the codec check', (ctx) => sandbox.#check(ctx));
    return sandbox;
  }

  /**
   * Decodes one uplink in a fresh QuickJS runtime and context. Synchronous.
   * Throws only CodecError, except after `dispose()` (a programming error).
   */
  decode(input: CodecInput): CodecOutput {
    if (this.#disposed) throw new Error(`codec sandbox "${this.name}" has been disposed`);
    const call = this.#callExpression(input);
    const fn = this.#spec.functionName;
    const raw = this.#execute(fn, (ctx) => {
      this.#evaluate(ctx, CONSOLE_SHIM, 'sandbox-console.js', 'console');
      this.#evaluate(ctx, this.#source, this.name, 'top-level');
      const handle = this.#evaluateHandle(ctx, call, 'sandbox-driver.js', 'call');
      try {
        return this.#readResult(ctx, handle);
      } finally {
        handle.dispose();
      }
    });

    switch (raw[0]) {
      case 'R': {
        const checked = parseCodecOutput(raw.slice(1), this.#spec.shape, this.limits.maxOutputBytes, fn);
        if (!checked.ok) {
          const detail = checked.kind === 'codec-errors' ? `${fn} reported errors: ${checked.reason}` : checked.reason;
          throw new CodecError(this.name, checked.kind, detail);
        }
        return { data: checked.data, warnings: checked.warnings };
      }
      case 'I':
        throw new CodecError(this.name, 'invalid-output', `${fn} ${raw.slice(1)}`);
      case 'F':
        throw new CodecError(this.name, 'missing-function', `${fn} is not defined as a function`);
      default:
        throw new CodecError(this.name, 'invalid-output', 'sandbox driver returned an unexpected value');
    }
  }

  /**
   * Marks the sandbox as finished. Idempotent. No engine resources outlive a
   * decode, so there is nothing else to free.
   */
  dispose(): void {
    this.#disposed = true;
  }

  // --- internals -----------------------------------------------------------

  /**
   * Runs `body` in a fresh runtime and context of the current engine instance,
   * under the watchdog. A non-CodecError failure means execution was cut off
   * inside the engine, by the watchdog or by the host stack running out. The
   * engine instance may then be inconsistent, so it is replaced.
   */
  #execute<T>(subject: string, body: (ctx: QuickJSContext) => T): T {
    const engine = currentQuickJS();
    if (engine === undefined) {
      throw new CodecError(
        this.name,
        'timeout',
        `no QuickJS engine available for ${subject}: it is being replaced after an earlier codec was stopped; retry shortly`,
      );
    }
    try {
      return runWithWatchdog(this.limits.timeoutMs * 2 + 20, () => this.#inFreshRuntime(engine, body));
    } catch (error) {
      if (error instanceof CodecError) throw error;
      replaceQuickJS(engine);
      if (isWatchdogTimeout(error)) {
        throw new CodecError(
          this.name,
          'timeout',
          `${subject} did not finish within ${this.limits.timeoutMs} ms and was stopped by the watchdog`,
          { cause: error },
        );
      }
      const name = errorField(error, 'name');
      const message = errorField(error, 'message');
      const detail = typeof message === 'string' ? `${String(name)}: ${message}` : String(error);
      const kind: CodecErrorKind = name === 'RangeError' ? 'memory' : 'threw';
      throw new CodecError(this.name, kind, `sandbox failure in ${subject}: ${detail}`, { cause: error });
    }
  }

  #inFreshRuntime<T>(engine: QuickJSWASMModule, body: (ctx: QuickJSContext) => T): T {
    const runtime = engine.newRuntime();
    let ctx: QuickJSContext | undefined;
    // False if execution was cut off inside the engine. Then its state is
    // unknown, freeing could trip assertions, and the instance is replaced
    // anyway, so nothing is freed.
    let consistent = false;
    try {
      runtime.setMemoryLimit(this.limits.memoryBytes);
      runtime.setMaxStackSize(this.limits.maxStackBytes);
      runtime.setInterruptHandler(() => {
        if (performance.now() <= this.#deadline) return false;
        this.#interrupted = true;
        return true;
      });
      ctx = runtime.newContext();
      this.#interrupted = false;
      this.#deadline = performance.now() + this.limits.timeoutMs;
      const result = body(ctx);
      consistent = true;
      return result;
    } catch (error) {
      consistent = error instanceof CodecError;
      throw error;
    } finally {
      this.#deadline = 0;
      if (consistent) {
        try {
          ctx?.dispose();
          runtime.dispose();
        } catch {
          // JS_FreeRuntime asserts that no object is left. If that fires, the
          // engine instance is suspect. The codec's outcome still stands.
          replaceQuickJS(engine);
        }
      }
    }
  }

  #check(ctx: QuickJSContext): void {
    const compiled = ctx.evalCode(this.#source, this.name, { type: 'global', compileOnly: true });
    if (compiled.error) {
      const error = compiled.error;
      try {
        throw this.#compileFailure(ctx, error);
      } finally {
        error.dispose();
      }
    }
    compiled.value.dispose();

    this.#evaluate(ctx, CONSOLE_SHIM, 'sandbox-console.js', 'console');
    this.#evaluate(ctx, this.#source, this.name, 'top-level');
    const fn = this.#spec.functionName;
    const probe = this.#evaluateHandle(ctx, `typeof ${fn}`, 'sandbox-probe.js', 'call');
    let type: string;
    try {
      type = ctx.typeof(probe) === 'string' ? ctx.getString(probe) : 'unknown';
    } finally {
      probe.dispose();
    }
    if (type !== 'function') {
      throw new CodecError(
        this.name,
        'missing-function',
        `source does not define function ${fn} (required by the ${this.api} codec API); ${fn} is ${type}`,
      );
    }
  }

  #callExpression(input: CodecInput): string {
    const bytes = `[${toBytes(input.bytes).join(',')}]`;
    const recvMs = input.recvTime instanceof Date ? input.recvTime.getTime() : Number.NaN;
    const variables = JSON.stringify(JSON.stringify(input.variables ?? {}));
    const args = this.#spec.args(bytes, numberLiteral(Number(input.fPort)), numberLiteral(recvMs), variables);
    return driverSource(this.#spec.functionName, args);
  }

  #evaluate(ctx: QuickJSContext, code: string, filename: string, stage: Stage): void {
    this.#evaluateHandle(ctx, code, filename, stage).dispose();
  }

  #evaluateHandle(ctx: QuickJSContext, code: string, filename: string, stage: Stage): QuickJSHandle {
    const result = ctx.evalCode(code, filename, { type: 'global' });
    if (!result.error) return result.value;
    const error = result.error;
    try {
      throw this.#runFailure(ctx, error, stage);
    } finally {
      error.dispose();
    }
  }

  #runFailure(ctx: QuickJSContext, error: QuickJSHandle, stage: Stage): CodecError {
    const what =
      stage === 'top-level' ? 'top-level code' : stage === 'console' ? 'sandbox setup' : this.#spec.functionName;
    if (this.#interrupted) {
      return new CodecError(this.name, 'timeout', `${what} did not finish within ${this.limits.timeoutMs} ms`);
    }
    const thrown = readThrown(ctx, error);
    const resource = this.#resourceFailure(thrown, what);
    if (resource !== undefined) return resource;
    return new CodecError(this.name, 'threw', `${what} threw ${thrown.text}`);
  }

  #compileFailure(ctx: QuickJSContext, error: QuickJSHandle): CodecError {
    const thrown = readThrown(ctx, error);
    const resource = this.#resourceFailure(thrown, 'compiling the source');
    if (resource !== undefined) return resource;
    const line = readNumberProp(ctx, error, 'lineNumber');
    const at = line !== undefined ? ` (line ${line})` : '';
    return new CodecError(this.name, 'syntax', `source does not compile: ${thrown.text}${at}`);
  }

  #resourceFailure(thrown: Thrown, what: string): CodecError | undefined {
    if (thrown.name !== 'InternalError') return undefined;
    if (thrown.message === 'out of memory') {
      return new CodecError(
        this.name,
        'memory',
        `${what} ran out of memory (allocation limit ${this.limits.memoryBytes} bytes, engine cap ${WASM_MEMORY_MAX_BYTES} bytes)`,
      );
    }
    if (thrown.message === 'stack overflow') {
      return new CodecError(
        this.name,
        'memory',
        `${what} exceeded the stack limit of ${this.limits.maxStackBytes} bytes (recursion or nesting too deep)`,
      );
    }
    return undefined;
  }

  #readResult(ctx: QuickJSContext, handle: QuickJSHandle): string {
    if (ctx.typeof(handle) !== 'string') {
      throw new CodecError(this.name, 'invalid-output', 'sandbox driver returned a non-string value');
    }
    // Messages (I) are short, so anything longer than the output limit is an
    // oversized result. Check before copying it out of the VM.
    const length = stringLength(ctx, handle);
    if (length === undefined || length > this.limits.maxOutputBytes + 1) {
      throw new CodecError(
        this.name,
        'invalid-output',
        `output is larger than the limit of ${this.limits.maxOutputBytes} bytes`,
      );
    }
    return ctx.getString(handle);
  }
}

interface Thrown {
  name: string | undefined;
  message: string | undefined;
  /** Human-readable description for error messages. */
  text: string;
}

function stringLength(ctx: QuickJSContext, handle: QuickJSHandle): number | undefined {
  const length = ctx.getProp(handle, 'length');
  try {
    return ctx.typeof(length) === 'number' ? ctx.getNumber(length) : undefined;
  } finally {
    length.dispose();
  }
}

/** Copies a VM string (an error text) to the host, cut to MAX_MESSAGE_CHARS. */
function readShortString(ctx: QuickJSContext, handle: QuickJSHandle): string | undefined {
  if (ctx.typeof(handle) !== 'string') return undefined;
  const length = stringLength(ctx, handle);
  if (length === undefined || length > 64 * 1024) return `(${length ?? 'a very long'}-character text)`;
  const text = ctx.getString(handle);
  return text.length > MAX_MESSAGE_CHARS ? `${text.slice(0, MAX_MESSAGE_CHARS)}...` : text;
}

function readStringProp(ctx: QuickJSContext, handle: QuickJSHandle, key: string): string | undefined {
  // A throwing or looping getter yields an exception handle (typeof 'unknown').
  const value = ctx.getProp(handle, key);
  try {
    return readShortString(ctx, value);
  } finally {
    value.dispose();
  }
}

function readNumberProp(ctx: QuickJSContext, handle: QuickJSHandle, key: string): number | undefined {
  const value = ctx.getProp(handle, key);
  try {
    return ctx.typeof(value) === 'number' ? ctx.getNumber(value) : undefined;
  } finally {
    value.dispose();
  }
}

/** Describes a value thrown in the VM without running more than property reads. */
function readThrown(ctx: QuickJSContext, handle: QuickJSHandle): Thrown {
  const type = ctx.typeof(handle);
  if (ctx.sameValue(handle, ctx.null)) return { name: undefined, message: undefined, text: 'null' };
  if (type === 'object' || type === 'function') {
    const name = readStringProp(ctx, handle, 'name');
    const message = readStringProp(ctx, handle, 'message');
    if (message === undefined) return { name, message, text: name !== undefined ? name : 'a non-Error value' };
    return { name, message, text: name !== undefined && name !== '' ? `${name}: ${message}` : message };
  }
  if (type === 'string') {
    const text = readShortString(ctx, handle) ?? '';
    return { name: undefined, message: text, text: JSON.stringify(text) };
  }
  if (type === 'number') return { name: undefined, message: undefined, text: String(ctx.getNumber(handle)) };
  return { name: undefined, message: undefined, text: `a value of type ${type}` };
}
