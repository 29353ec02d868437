import type { CodecApi } from './sandbox.js';
import type { OutputShape } from './codec-output.js';
import { MAX_MESSAGE_CHARS } from './vm-values.js';

/** The JavaScript run inside QuickJS around a codec: the console shim and the per-API call driver. */

export interface ApiSpec {
  functionName: string;
  shape: OutputShape;
  /** Argument list for the entry point, as JS source. */
  args(bytes: string, fPort: string, recvMs: string, variablesJson: string): string;
}

export const API_SPECS: Readonly<Record<CodecApi, ApiSpec>> = {
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

/**
 * Evaluated in each fresh context before the codec source: a no-op console.
 * It uses no host function and declares no global binding, so a codec's own
 * `console` declaration cannot collide with it.
 */
export const CONSOLE_SHIM =
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
export function driverSource(entry: string, args: string): string {
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
