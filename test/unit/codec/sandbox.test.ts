import { afterEach, describe, expect, it } from 'vitest';
import {
  CodecError,
  CodecSandbox,
  MAX_STACK_BYTES,
  defaultCodecLimits,
  type CodecApi,
  type CodecErrorKind,
  type CodecInput,
  type CodecLimits,
} from '../../../firmware-profiles/src/codec/sandbox.js';

const created: CodecSandbox[] = [];

async function sandbox(
  source: string,
  api: CodecApi = 'ts013',
  limits: Partial<CodecLimits> = {},
  name = 'test-codec',
): Promise<CodecSandbox> {
  const sb = await CodecSandbox.create(source, api, name, limits);
  created.push(sb);
  return sb;
}

afterEach(() => {
  for (const sb of created.splice(0)) sb.dispose();
});

function input(bytes: number[] = [1, 2, 3], fPort = 1, variables?: Record<string, string>): CodecInput {
  return { bytes: Uint8Array.from(bytes), fPort, recvTime: new Date('2024-05-01T12:00:00Z'), variables };
}

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a CodecError, nothing was thrown');
}

async function caughtAsync(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a CodecError, nothing was thrown');
}

function expectCodecError(error: unknown, kind: CodecErrorKind, ...fragments: string[]): CodecError {
  expect(error).toBeInstanceOf(CodecError);
  const codecError = error as CodecError;
  expect(codecError.kind).toBe(kind);
  for (const fragment of fragments) expect(codecError.message).toContain(fragment);
  return codecError;
}

/** Echo-ish TS013 codec; fPort selects misbehaviour so one sandbox can fail and then recover. */
const SELECTIVE = `
function decodeUplink(input) {
  if (input.fPort === 10) { for (;;) {} }
  if (input.fPort === 11) { var s = "x".repeat(64 * 1024 * 1024); return { data: { n: s.length } }; }
  if (input.fPort === 12) { var a = new Array(100000000).fill(0); return { data: { n: a.length } }; }
  if (input.fPort === 13) { var keep = []; for (;;) keep.push(new Uint8Array(1024 * 1024)); }
  if (input.fPort === 14) { var f = function (n) { return f(n + 1) + 1; }; return { data: { n: f(0) } }; }
  return { data: { sum: input.bytes.reduce(function (a, b) { return a + b; }, 0), port: input.fPort } };
}`;

describe('CodecSandbox: codec API forms', () => {
  it('runs a TS013 decodeUplink and returns data and warnings', async () => {
    const sb = await sandbox(`
      function decodeUplink(input) {
        var warnings = [];
        if (input.bytes.length > 2) warnings.push("ignored " + (input.bytes.length - 2) + " trailing bytes");
        return {
          data: {
            temperature: ((input.bytes[0] << 8) | input.bytes[1]) / 10,
            port: input.fPort,
            received: input.recvTime.toISOString(),
            isArray: Array.isArray(input.bytes)
          },
          warnings: warnings
        };
      }`);
    expect(sb.decode(input([0x00, 0xe7, 0xff], 85))).toEqual({
      data: { temperature: 23.1, port: 85, received: '2024-05-01T12:00:00.000Z', isArray: true },
      warnings: ['ignored 1 trailing bytes'],
    });
  });

  it('runs a TTN v2 Decoder(bytes, port)', async () => {
    const sb = await sandbox(
      `function Decoder(bytes, port) {
         var decoded = {};
         if (port === 2) decoded.counter = (bytes[0] << 8) | bytes[1];
         decoded.port = port;
         return decoded;
       }`,
      'ttn-v2',
    );
    expect(sb.decode(input([0x01, 0x02], 2))).toEqual({ data: { counter: 258, port: 2 }, warnings: [] });
  });

  it('runs a ChirpStack v3 Decode(fPort, bytes, variables)', async () => {
    const sb = await sandbox(
      `function Decode(fPort, bytes, variables) {
         return { level: bytes[0] * Number(variables.scale || 1), unit: variables.unit || "mm", fPort: fPort };
       }`,
      'chirpstack-v3',
    );
    expect(sb.decode(input([7], 3, { scale: '3', unit: 'cm' }))).toEqual({
      data: { level: 21, unit: 'cm', fPort: 3 },
      warnings: [],
    });
    // variables default to an empty object
    expect(sb.decode(input([7], 3)).data).toEqual({ level: 7, unit: 'mm', fPort: 3 });
  });

  it('turns a TS013 errors array into a codec-errors failure', async () => {
    const sb = await sandbox(
      `function decodeUplink(input) { return { errors: ["unknown fPort " + input.fPort, "payload too short"], warnings: ["w"] }; }`,
      'ts013',
      {},
      'vendor-x',
    );
    expectCodecError(caught(() => sb.decode(input())), 'codec-errors', 'vendor-x', 'unknown fPort 1; payload too short');
  });

  it('lets a codec call console.log (a no-op)', async () => {
    const sb = await sandbox(`function decodeUplink(input) { console.log("hi", input); console.warn("x"); return { data: { ok: true } }; }`);
    expect(sb.decode(input()).data).toEqual({ ok: true });
  });
});

describe('CodecSandbox: create-time checks', () => {
  it('reports a syntax error, naming the codec', async () => {
    const error = await caughtAsync(
      CodecSandbox.create('function decodeUplink(input) {\n  return { data: };\n}', 'ts013', 'broken-codec'),
    );
    const codecError = expectCodecError(error, 'syntax', 'broken-codec', 'SyntaxError', 'line 2');
    expect(codecError.codec).toBe('broken-codec');
  });

  it('rejects ES module syntax (codecs run as scripts, without a module loader)', async () => {
    const error = await caughtAsync(
      CodecSandbox.create('import fs from "fs";\nfunction decodeUplink() { return { data: {} }; }', 'ts013', 'esm'),
    );
    expectCodecError(error, 'syntax', 'esm');
  });

  it('reports a missing entry point for each API', async () => {
    const source = 'function decode(input) { return { data: {} }; }';
    expectCodecError(await caughtAsync(CodecSandbox.create(source, 'ts013', 'a')), 'missing-function', 'decodeUplink');
    expectCodecError(await caughtAsync(CodecSandbox.create(source, 'ttn-v2', 'b')), 'missing-function', 'Decoder');
    expectCodecError(await caughtAsync(CodecSandbox.create(source, 'chirpstack-v3', 'c')), 'missing-function', 'Decode');
    expectCodecError(
      await caughtAsync(CodecSandbox.create('var decodeUplink = 42;', 'ts013', 'd')),
      'missing-function',
      'decodeUplink is number',
    );
  });

  it('reports top-level code that throws or never ends', async () => {
    expectCodecError(
      await caughtAsync(CodecSandbox.create('throw new Error("no config");', 'ts013', 'top')),
      'threw',
      'top-level code threw Error: no config',
    );
    expectCodecError(await caughtAsync(CodecSandbox.create('while (true) {}', 'ts013', 'spin')), 'timeout', 'spin');
  });

  it('validates limits', async () => {
    const ok = 'function decodeUplink() { return { data: {} }; }';
    await expect(CodecSandbox.create(ok, 'ts013', 'x', { maxStackBytes: MAX_STACK_BYTES + 1 })).rejects.toThrow(RangeError);
    await expect(CodecSandbox.create(ok, 'ts013', 'x', { timeoutMs: 0 })).rejects.toThrow(RangeError);
    await expect(CodecSandbox.create(ok, 'ts013', 'x', { memoryBytes: 1000 })).rejects.toThrow(RangeError);
    const sb = await sandbox(ok, 'ts013', { timeoutMs: 20, memoryBytes: 2 * 1024 * 1024 });
    expect(sb.limits).toEqual({ ...defaultCodecLimits, timeoutMs: 20, memoryBytes: 2 * 1024 * 1024 });
    expect(sb.decode(input())).toEqual({ data: {}, warnings: [] });
  });
});

describe('CodecSandbox: resource limits', () => {
  it('stops an infinite loop with a timeout, and the next decode works', async () => {
    const sb = await sandbox(SELECTIVE, 'ts013', {}, 'looper');
    expectCodecError(caught(() => sb.decode(input([1], 10))), 'timeout', 'looper', `${defaultCodecLimits.timeoutMs} ms`);
    expect(sb.decode(input([1, 2], 1)).data).toEqual({ sum: 3, port: 1 });
    expectCodecError(caught(() => sb.decode(input([1], 10))), 'timeout');
    expect(sb.decode(input([5], 1)).data).toEqual({ sum: 5, port: 1 });
  });

  it('stops long-running built-ins that QuickJS does not interrupt, via the watchdog', { timeout: 30_000 }, async () => {
    // Each iteration is one native call over megabytes; QuickJS polls its
    // interrupt handler only every ~10k iterations, so without the watchdog
    // these ran for 30-170 s against a 50 ms deadline.
    const sb = await sandbox(
      `function decodeUplink(input) {
         if (input.fPort === 1) { var a = new Array(1e6).fill(0); for (;;) a.fill(1); }
         if (input.fPort === 2) { var s = "x".repeat(4e6); for (;;) s.indexOf("y"); }
         if (input.fPort === 3) { var b = new Array(2e5).fill(0).map(function (_, i) { return (i * 7919) % 1000; }); for (;;) b.slice().sort(); }
         return { data: { ok: input.fPort } };
       }`,
      'ts013',
      {},
      'slow-builtins',
    );
    for (const fPort of [1, 2, 3]) {
      expectCodecError(caught(() => sb.decode(input([], fPort))), 'timeout', 'slow-builtins', 'watchdog');
      // The engine instance was replaced by the ready spare: no waiting needed.
      expect(sb.decode(input([], 9)).data).toEqual({ ok: 9 });
      await new Promise((resolve) => setTimeout(resolve, 50)); // let a new spare get ready
    }
  });

  it('stops huge allocations with a memory error, and the next decode works', async () => {
    // A generous deadline so that the memory limit, not the clock, ends these.
    const sb = await sandbox(SELECTIVE, 'ts013', { timeoutMs: 10_000 }, 'hog');
    for (const fPort of [11, 12, 13]) {
      expectCodecError(caught(() => sb.decode(input([1], fPort))), 'memory', 'hog', 'out of memory');
      expect(sb.decode(input([2, 2], 1)).data).toEqual({ sum: 4, port: 1 });
    }
  });

  it('turns deep recursion into an error instead of a crash, and the next decode works', async () => {
    const sb = await sandbox(SELECTIVE);
    expectCodecError(caught(() => sb.decode(input([1], 14))), 'memory', 'stack limit');
    expect(sb.decode(input([9], 1)).data).toEqual({ sum: 9, port: 1 });
  });

  it('survives deep nesting in paths that use a lot of host stack (parser, JSON)', async () => {
    const sb = await sandbox(
      `function nested(n) { var a = []; var c = a; for (var i = 0; i < n; i++) { var d = []; c.push(d); c = d; } return a; }
       function decodeUplink(input) {
         var deep = "[".repeat(200000) + "]".repeat(200000);
         if (input.fPort === 1) return { data: { v: eval(deep) } };
         if (input.fPort === 2) return { data: { v: JSON.parse(deep) } };
         if (input.fPort === 3) return { data: { v: nested(200000) } };
         if (input.fPort === 4) return { data: { v: new Function("return " + deep)() } };
         if (input.fPort === 5) return { data: { v: new RegExp("(?:".repeat(200000) + ")".repeat(200000)).source.length } };
         return { data: { ok: true } };
       }`,
      'ts013',
      { timeoutMs: 10_000 },
    );
    for (const fPort of [1, 2, 3, 4, 5]) {
      const error = caught(() => sb.decode(input([], fPort)));
      expect(error).toBeInstanceOf(CodecError);
      expect(['memory', 'threw', 'invalid-output']).toContain((error as CodecError).kind);
      expect(sb.decode(input([], 9)).data).toEqual({ ok: true });
    }
    // The same nesting in the codec source itself is refused at create time.
    const error = await caughtAsync(
      CodecSandbox.create(`var x = ${'['.repeat(200000)}${']'.repeat(200000)};`, 'ts013', 'nested-source'),
    );
    expect(error).toBeInstanceOf(CodecError);
  });

  it('rejects output larger than maxOutputBytes', async () => {
    const sb = await sandbox(
      `function decodeUplink(input) { return { data: { blob: "x".repeat(input.bytes[0] * 1024) } }; }`,
      'ts013',
      { maxOutputBytes: 4096 },
    );
    expect(sb.decode(input([2])).data).toEqual({ blob: 'x'.repeat(2048) });
    expectCodecError(caught(() => sb.decode(input([5]))), 'invalid-output', '4096 bytes');
    expectCodecError(caught(() => sb.decode(input([200]))), 'invalid-output', '4096 bytes');
  });
});

describe('CodecSandbox: misbehaving codecs', () => {
  it('reports a thrown error with its message', async () => {
    const sb = await sandbox(
      `function decodeUplink(input) {
         if (input.fPort === 1) throw new RangeError("unsupported fPort " + input.fPort);
         if (input.fPort === 2) throw "plain string";
         if (input.fPort === 3) throw { code: 7 };
         if (input.fPort === 4) throw null;
         if (input.fPort === 5) throw new Error("x".repeat(100000));
         if (input.fPort === 6) { var o = {}; Object.defineProperty(o, "message", { get: function () { for (;;) {} } }); throw o; }
         return input.bytes.missing.property;
       }`,
      'ts013',
      {},
      'thrower',
    );
    expectCodecError(caught(() => sb.decode(input([], 1))), 'threw', 'thrower', 'decodeUplink threw RangeError: unsupported fPort 1');
    expectCodecError(caught(() => sb.decode(input([], 2))), 'threw', '"plain string"');
    expectCodecError(caught(() => sb.decode(input([], 3))), 'threw', 'non-Error');
    expectCodecError(caught(() => sb.decode(input([], 4))), 'threw', 'null');
    const long = expectCodecError(caught(() => sb.decode(input([], 5))), 'threw');
    expect(long.message.length).toBeLessThan(1000);
    // A getter that never returns, run while describing the error, is still bound by the deadline.
    expect(caught(() => sb.decode(input([], 6)))).toBeInstanceOf(CodecError);
    expectCodecError(caught(() => sb.decode(input([], 7))), 'threw', 'TypeError');
  });

  it.each([
    ['undefined', 'return undefined;', 'undefined'],
    ['nothing', 'return;', 'undefined'],
    ['a number', 'return 5;', 'got a number'],
    ['NaN', 'return NaN;', 'NaN'],
    ['a string', 'return "data";', 'got a string'],
    ['an array', 'return [1, 2];', 'got an array'],
    ['null', 'return null;', 'got null'],
    ['a function', 'return function () {};', 'function'],
    ['{data: 5}', 'return { data: 5 };', 'data must be a plain object, got a number'],
    ['{data: []}', 'return { data: [] };', 'data must be a plain object, got an array'],
    ['{data: null}', 'return { data: null };', 'got null'],
    ['no data', 'return { warnings: [] };', 'no data'],
    ['circular data', 'var d = { a: 1 }; d.self = d; return { data: d };', 'circular'],
    ['NaN in data', 'return { data: { t: 0 / 0 } };', 'NaN at key "t"'],
    ['Infinity in data', 'return { data: { t: [1, 1 / 0] } };', 'Infinity'],
    ['a function in data', 'return { data: { f: function () {} } };', 'function value at key "f"'],
    ['a BigInt in data', 'return { data: { n: BigInt(5) } };', 'bigint'],
    ['non-string warnings', 'return { data: {}, warnings: [1] };', 'warnings.0 must be a string'],
    ['warnings not an array', 'return { data: {}, warnings: "careful" };', 'warnings must be an array of strings'],
    ['non-string errors', 'return { errors: [{}] };', 'errors.0 must be a string'],
    ['a Promise', 'return Promise.resolve({ data: {} });', 'Promise'],
    ['a __proto__ key', 'return JSON.parse(\'{"data": {"__proto__": {"admin": true}}}\');', '__proto__'],
    ['a throwing toJSON', 'return { data: { toJSON: function () { throw new Error("nope"); } } };', 'nope'],
  ])('rejects a TS013 codec returning %s as invalid-output', async (_label, body, fragment) => {
    const sb = await sandbox(`function decodeUplink(input) { ${body} }`, 'ts013', {}, 'junk');
    expectCodecError(caught(() => sb.decode(input())), 'invalid-output', 'junk', fragment);
  });

  it.each([
    ['undefined', 'return undefined;'],
    ['a number', 'return 42;'],
    ['an array', 'return [1];'],
    ['null', 'return null;'],
    ['circular', 'var d = {}; d.d = d; return d;'],
  ])('rejects a TTN v2 / ChirpStack v3 codec returning %s', async (_label, body) => {
    const ttn = await sandbox(`function Decoder(bytes, port) { ${body} }`, 'ttn-v2');
    expectCodecError(caught(() => ttn.decode(input())), 'invalid-output', 'Decoder');
    const cs = await sandbox(`function Decode(fPort, bytes, variables) { ${body} }`, 'chirpstack-v3');
    expectCodecError(caught(() => cs.decode(input())), 'invalid-output', 'Decode');
  });
});

describe('CodecSandbox: isolation', () => {
  it('does not carry state from one decode to the next', async () => {
    const sb = await sandbox(`
      var loaded = (typeof loaded === "number" ? loaded : 0) + 1;
      function decodeUplink(input) {
        globalThis.counter = (globalThis.counter || 0) + 1;
        var hadPatch = typeof Array.prototype.sensorbroMarker !== "undefined";
        Array.prototype.sensorbroMarker = 1;
        Object.prototype.polluted = true;
        JSON.stringify = function () { return "hijacked"; };
        return { data: { counter: counter, loaded: loaded, hadPatch: hadPatch } };
      }`);
    for (let i = 0; i < 3; i++) {
      expect(sb.decode(input()).data).toEqual({ counter: 1, loaded: 1, hadPatch: false });
    }
  });

  it('gives the codec no access to the host', async () => {
    const sb = await sandbox(`
      function probe(f) { try { return f(); } catch (e) { return "threw " + e.name; } }
      function decodeUplink(input) {
        var loaded = "not loaded";
        try { import("node:fs").then(function () { loaded = "loaded"; }, function () { loaded = "rejected"; }); } catch (e) { loaded = "threw"; }
        return { data: {
          process: typeof process,
          require: typeof require,
          module: typeof module,
          Buffer: typeof Buffer,
          setTimeout: typeof setTimeout,
          fetch: typeof fetch,
          std: typeof std,
          os: typeof os,
          viaFunction: probe(function () { return Function("return typeof process")(); }),
          viaConstructor: probe(function () { return (function () {}).constructor("return typeof require")(); }),
          globalKeys: Object.getOwnPropertyNames(globalThis).filter(function (k) { return /process|require|host/i.test(k); }),
          importedSynchronously: loaded
        } };
      }`);
    expect(sb.decode(input()).data).toEqual({
      process: 'undefined',
      require: 'undefined',
      module: 'undefined',
      Buffer: 'undefined',
      setTimeout: 'undefined',
      fetch: 'undefined',
      std: 'undefined',
      os: 'undefined',
      viaFunction: 'undefined',
      viaConstructor: 'undefined',
      globalKeys: [],
      importedSynchronously: 'not loaded',
    });
    // The import() promise job is dropped with the runtime; the sandbox keeps working.
    expect(sb.decode(input()).data).toMatchObject({ process: 'undefined' });
  });

  it('keeps sandboxes independent of each other', async () => {
    const a = await sandbox(SELECTIVE, 'ts013', {}, 'a');
    const b = await sandbox('function decodeUplink(input) { return { data: { b: input.bytes[0] } }; }', 'ts013', {}, 'b');
    expectCodecError(caught(() => a.decode(input([1], 10))), 'timeout', 'codec "a"');
    expect(b.decode(input([4])).data).toEqual({ b: 4 });
  });
});

describe('CodecSandbox: lifecycle', () => {
  it('refuses to decode after dispose, and dispose is idempotent', async () => {
    const sb = await CodecSandbox.create('function decodeUplink() { return { data: {} }; }', 'ts013', 'gone');
    sb.dispose();
    sb.dispose();
    expect(() => sb.decode(input())).toThrow(/disposed/);
  });

  it('runs 10,000 decodes without leaking', { timeout: 120_000 }, async () => {
    const sb = await sandbox(SELECTIVE);
    const warmup = () => {
      for (let i = 0; i < 500; i++) sb.decode(input([i & 0xff, 1], 1));
    };
    warmup();
    const before = process.memoryUsage().rss;
    for (let i = 0; i < 10_000; i++) {
      const out = sb.decode(input([i & 0xff, 1], 1));
      if (out.data.sum !== (i & 0xff) + 1) throw new Error(`wrong result at ${i}`);
      // Mix in failures, which take the other cleanup paths.
      if (i % 1000 === 0) expect(caught(() => sb.decode(input([1], 14)))).toBeInstanceOf(CodecError);
    }
    const growth = process.memoryUsage().rss - before;
    expect(growth).toBeLessThan(64 * 1024 * 1024);
    expect(sb.decode(input([7, 1], 1)).data).toEqual({ sum: 8, port: 1 });
  });
});
