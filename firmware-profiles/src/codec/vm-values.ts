import type { QuickJSContext, QuickJSHandle } from 'quickjs-emscripten-core';

/** Reading values out of a QuickJS context (error texts, numbers) without running codec code. */

/** Longest error text reported from the VM. */
export const MAX_MESSAGE_CHARS = 500;

export interface Thrown {
  name: string | undefined;
  message: string | undefined;
  /** Human-readable description for error messages. */
  text: string;
}

export function stringLength(ctx: QuickJSContext, handle: QuickJSHandle): number | undefined {
  const length = ctx.getProp(handle, 'length');
  try {
    return ctx.typeof(length) === 'number' ? ctx.getNumber(length) : undefined;
  } finally {
    length.dispose();
  }
}

/** Copies a VM string (an error text) to the host, cut to MAX_MESSAGE_CHARS. */
export function readShortString(ctx: QuickJSContext, handle: QuickJSHandle): string | undefined {
  if (ctx.typeof(handle) !== 'string') return undefined;
  const length = stringLength(ctx, handle);
  if (length === undefined || length > 64 * 1024) return `(${length ?? 'a very long'}-character text)`;
  const text = ctx.getString(handle);
  return text.length > MAX_MESSAGE_CHARS ? `${text.slice(0, MAX_MESSAGE_CHARS)}...` : text;
}

export function readStringProp(ctx: QuickJSContext, handle: QuickJSHandle, key: string): string | undefined {
  // A throwing or looping getter yields an exception handle (typeof 'unknown').
  const value = ctx.getProp(handle, key);
  try {
    return readShortString(ctx, value);
  } finally {
    value.dispose();
  }
}

export function readNumberProp(ctx: QuickJSContext, handle: QuickJSHandle, key: string): number | undefined {
  const value = ctx.getProp(handle, key);
  try {
    return ctx.typeof(value) === 'number' ? ctx.getNumber(value) : undefined;
  } finally {
    value.dispose();
  }
}

/** Describes a value thrown in the VM without running more than property reads. */
export function readThrown(ctx: QuickJSContext, handle: QuickJSHandle): Thrown {
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
