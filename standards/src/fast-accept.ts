import type { z } from 'zod';

/**
 * A fast path beside zod for valid records (the cloud checks tens of thousands a second). It is
 * compiled once from a schema's definition and either returns exactly the value
 * `schema.safeParse(input).data` would be (same keys, same order), or `undefined`: "not sure",
 * and the caller asks zod, which then answers valid or not, with its issues. Every rule is still
 * zod's own: after a leaf's type test (string, number, boolean, literal, enum, as zod's parse makes
 * it), its checks and formats run zod's check functions, and so do the checks of objects and
 * arrays (superRefine), on one payload shared by the whole record. What it saves is zod's payload
 * object and issue array per field: most of the CPU and the garbage of validating a record.
 *
 * Only the kinds records use are compiled (strict objects, arrays, optional, the leaves above);
 * a schema with any other kind gets no fast path (`compileFastAccept` answers undefined).
 */

interface Payload {
  value: unknown;
  issues: unknown[];
}
interface Check {
  _zod: { def: { when?: (payload: Payload) => boolean }; check(payload: Payload): unknown };
}
interface Node {
  _zod: {
    def: {
      type: string;
      checks?: Check[];
      coerce?: boolean;
      shape?: Record<string, Node>;
      catchall?: Node;
      element?: Node;
      innerType?: Node;
    };
    optin?: string;
    optout?: string;
    traits: Set<string>;
    /** The accepted values of a literal or an enum. */
    values?: Set<unknown>;
  };
}

/** Not accepted by the fast path (zod decides). A symbol: `undefined` can be a parsed value. */
const unsure = Symbol('unsure');
type Accept = (value: unknown, payload: Payload) => unknown;

function compile(node: Node): Accept | undefined {
  switch (node._zod.def.type) {
    case 'object':
      return object(node);
    case 'array':
      return array(node);
    case 'optional':
      return optional(node);
    default:
      return leaf(node);
  }
}

/** The type test of a leaf, as its zod parse makes it (none of the kinds here changes the value). */
function typeTest(node: Node): ((value: unknown) => boolean) | undefined {
  const { type, coerce } = node._zod.def;
  const values = node._zod.values;
  if (coerce) return undefined;
  switch (type) {
    case 'string':
      return (value) => typeof value === 'string';
    case 'number':
      return (value) => typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return (value) => typeof value === 'boolean';
    case 'literal':
    case 'enum':
      return values && ((value) => values.has(value));
    default:
      return undefined;
  }
}

/** The leaf's type test, then zod's own checks of it (a format such as z.uuid() is its own first check, as in zod). */
function leaf(node: Node): Accept | undefined {
  const isType = typeTest(node);
  if (!isType) return undefined;
  const ownChecks = node._zod.def.checks ?? [];
  const runChecks = checksOf(node._zod.traits.has('$ZodCheck') ? [node as unknown as Check, ...ownChecks] : ownChecks);
  return (value, payload) => (isType(value) ? runChecks(value, payload) : unsure);
}

/** Checks (min, max, regex, superRefine ...) as zod's runChecks runs them on a value without issues. */
function checksOf(checks: readonly Check[] = []): Accept {
  if (checks.length === 0) return (value) => value;
  const whens = checks.map((check) => check._zod.def.when);
  return (value, payload) => {
    payload.value = value;
    for (let i = 0; i < checks.length; i++) {
      const when = whens[i];
      if (when && !when(payload)) continue;
      if (checks[i]!._zod.check(payload) instanceof Promise || payload.issues.length > 0) return unsure;
    }
    return payload.value;
  };
}

function optional(node: Node): Accept | undefined {
  const inner = node._zod.def.innerType!;
  // a default would substitute for absence; such schemas stay with zod
  if (node._zod.def.checks?.length || inner._zod.optin !== undefined) return undefined;
  const accept = compile(inner);
  if (!accept) return undefined;
  return (value, payload) => (value === undefined ? undefined : accept(value, payload));
}

/** A strict object: unknown keys are zod's to report; the result has the shape's key order, as zod builds it. */
function object(node: Node): Accept | undefined {
  const { shape, catchall, checks } = node._zod.def;
  if (!shape || catchall?._zod.def.type !== 'never' || Object.getOwnPropertySymbols(shape).length > 0) return undefined;
  const keys = Object.keys(shape);
  const accepts: Accept[] = [];
  /** Absent is fine (zod's optin / optout 'optional'). */
  const optionals: boolean[] = [];
  for (const key of keys) {
    const child = shape[key]!;
    const accept = key === '__proto__' ? undefined : compile(child);
    if (!accept) return undefined;
    accepts.push(accept);
    optionals.push(child._zod.optin === 'optional' && child._zod.optout === 'optional');
  }
  const known = new Set(keys);
  const afterFields = checksOf(checks);
  // Written out per key, as zod's own JIT does: constant property names make monomorphic loads and stores.
  const steps = keys.map((key, i) => {
    const k = JSON.stringify(key);
    const absent = optionals[i] ? `if (${k} in input) result[${k}] = undefined;` : 'return unsure;';
    return `field = input[${k}];
      if (field === undefined) { ${absent} }
      else { parsed = accepts[${i}](field, payload); if (parsed === unsure) return unsure; result[${k}] = parsed; }`;
  });
  const body = `return (input, payload) => {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) return unsure;
    for (const key in input) if (!known.has(key)) return unsure;
    const result = {};
    let field, parsed;
    ${steps.join('\n    ')}
    return afterFields(result, payload);
  };`;
  try {
    return new Function('unsure', 'known', 'accepts', 'afterFields', body)(unsure, known, accepts, afterFields) as Accept;
  } catch {
    return undefined; // code generation not allowed here (e.g. --disallow-code-generation-from-strings): zod alone
  }
}

function array(node: Node): Accept | undefined {
  const { element, checks } = node._zod.def;
  const accept = element && compile(element);
  if (!accept) return undefined;
  const afterElements = checksOf(checks);
  return (value, payload) => {
    if (!Array.isArray(value)) return unsure;
    const result: unknown[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) {
      const parsed = accept(value[i], payload);
      if (parsed === unsure) return unsure;
      result[i] = parsed;
    }
    return afterElements(result, payload);
  };
}

/**
 * The fast path of an object schema: `input` → what zod's safeParse would answer as data, or
 * undefined when zod has to decide. Undefined when the schema uses kinds this does not compile.
 */
export function compileFastAccept(schema: z.ZodType): ((input: unknown) => Record<string, unknown> | undefined) | undefined {
  const node = schema as unknown as Node;
  if (node._zod.def.type !== 'object') return undefined;
  const accept = compile(node);
  if (!accept) return undefined;
  return (input) => {
    const parsed = accept(input, { value: undefined, issues: [] });
    return parsed === unsure ? undefined : (parsed as Record<string, unknown>);
  };
}
