import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { deserialize } from 'node:v8';
import { parseDocument } from 'yaml';

export type YamlParse = { ok: true; value: unknown } | { ok: false; errors: string[] };

/**
 * Above this size the text is parsed in a short-lived helper process. The YAML library builds a
 * document tree of about 90 bytes of heap per byte of text (10,000 devices: 1.2 MB of YAML,
 * ~110 MB of heap), and a process keeps most of those pages once the tree is garbage (the
 * gateway stayed ~90 MB larger for good; a worker thread still left ~20 MB behind in malloc
 * arenas). The helper hands back only the plain value.
 */
export const helperParseMinBytes = 256 * 1024;
/** Most bytes of the helper's answer (the config file itself is limited to 8 MiB). */
const maxAnswerBytes = 256 * 1024 * 1024;

const documentOptions = { uniqueKeys: true, prettyErrors: true } as const;
const toJsOptions = { maxAliasCount: 100 } as const;

/**
 * The helper (CommonJS, run with `node -e`): reads the text on stdin, writes `{ value }` or
 * `{ errors }` with v8.serialize (the structured clone format: every value YAML can give, .inf and
 * .nan included, comes back as it was).
 */
const helperSource = `
const chunks = [];
process.stdin.on('data', (chunk) => chunks.push(chunk)).on('end', () => {
  const [yamlPath, options] = [process.argv[1], JSON.parse(process.argv[2])];
  let answer;
  try {
    const document = require(yamlPath).parseDocument(Buffer.concat(chunks).toString('utf8'), options.document);
    answer = document.errors.length > 0 ? { errors: document.errors.map((error) => error.message) } : { value: document.toJS(options.toJs) };
  } catch (error) {
    answer = { errors: [String(error && error.message ? error.message : error)] };
  }
  process.stdout.write(require('node:v8').serialize(answer));
});
`;

/** Parses one YAML document into plain values. */
export function parseYaml(text: string): YamlParse {
  if (Buffer.byteLength(text) < helperParseMinBytes) return parseHere(text);
  const yamlPath = createRequire(import.meta.url).resolve('yaml');
  const options = JSON.stringify({ document: documentOptions, toJs: toJsOptions });
  const helper = spawnSync(process.execPath, ['-e', helperSource, yamlPath, options], { input: text, maxBuffer: maxAnswerBytes, stdio: ['pipe', 'pipe', 'pipe'] });
  if (helper.error || helper.status !== 0) {
    const why = helper.error?.message ?? helper.stderr.toString('utf8').trim().split('\n').at(-1) ?? `exit ${helper.status}`;
    return { ok: false, errors: [`the YAML parser (a helper process) failed: ${why}`] };
  }
  const answer = deserialize(helper.stdout) as { value?: unknown; errors?: string[] };
  return answer.errors ? { ok: false, errors: answer.errors } : { ok: true, value: answer.value };
}

function parseHere(text: string): YamlParse {
  const document = parseDocument(text, documentOptions);
  if (document.errors.length > 0) return { ok: false, errors: document.errors.map((error) => error.message) };
  return { ok: true, value: document.toJS(toJsOptions) };
}
