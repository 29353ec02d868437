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
import type { QuickJSContext, QuickJSHandle, QuickJSWASMModule } from 'quickjs-emscripten-core';
import { type CodecLimits, resolveLimits } from './codec-limits.js';
import { API_SPECS, type ApiSpec, CONSOLE_SHIM, driverSource } from './codec-driver.js';
import { parseCodecOutput } from './codec-output.js';
import { WASM_MEMORY_MAX_BYTES, currentQuickJS, loadQuickJS, replaceQuickJS } from './quickjs-module.js';
import { readNumberProp, readThrown, stringLength, type Thrown } from './vm-values.js';
import { errorField, isWatchdogTimeout, runWithWatchdog } from './watchdog.js';

export type CodecApi = 'ts013' | 'ttn-v2' | 'chirpstack-v3';
export { type CodecLimits, defaultCodecLimits, MAX_STACK_BYTES } from './codec-limits.js';

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

/** Which of the evaluations in a context failed, for messages. */
type Stage = 'console' | 'top-level' | 'call';

function toBytes(bytes: Uint8Array): Uint8Array {
  return bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes as ArrayLike<number>);
}

function numberLiteral(value: number): string {
  return Number.isFinite(value) ? String(value) : 'NaN';
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
