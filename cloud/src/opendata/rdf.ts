/**
 * A small RDF graph model (a tree: named nodes may be nested and are then written as their own
 * subjects) and its two serializations, JSON-LD and Turtle, so both catalogue documents say
 * exactly the same triples. Predicates, classes and datatypes are prefixed names ('dct:title').
 */
export interface RdfIri {
  iri: string;
}
export interface RdfLiteral {
  value: string;
  language?: string;
  datatype?: string;
}
export interface RdfNode {
  /** Absent for a blank node. */
  id?: string;
  types: readonly string[];
  properties: Record<string, RdfTerm | readonly RdfTerm[] | undefined>;
}
export type RdfTerm = RdfIri | RdfLiteral | RdfNode;

export const iri = (value: string): RdfIri => ({ iri: value });
export const text = (value: string, language?: string): RdfLiteral => (language ? { value, language } : { value });
export const typed = (value: string, datatype: string): RdfLiteral => ({ value, datatype });

const isIri = (term: RdfTerm): term is RdfIri => 'iri' in term;
const isLiteral = (term: RdfTerm): term is RdfLiteral => 'value' in term;
const valuesOf = (value: RdfTerm | readonly RdfTerm[] | undefined): readonly RdfTerm[] => (value === undefined ? [] : Array.isArray(value) ? value : [value as RdfTerm]);

function jsonLdTerm(term: RdfTerm): unknown {
  if (isIri(term)) return { '@id': term.iri };
  if (isLiteral(term)) {
    if (term.language) return { '@value': term.value, '@language': term.language };
    if (term.datatype) return { '@value': term.value, '@type': term.datatype };
    return term.value;
  }
  return jsonLdNode(term);
}

function jsonLdNode(node: RdfNode): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (node.id !== undefined) out['@id'] = node.id;
  out['@type'] = node.types.length === 1 ? node.types[0] : node.types;
  for (const [predicate, value] of Object.entries(node.properties)) {
    const values = valuesOf(value).map(jsonLdTerm);
    if (values.length > 0) out[predicate] = values.length === 1 ? values[0] : values;
  }
  return out;
}

/** JSON-LD 1.1 with the prefixes as its @context (compact IRIs, nested nodes). */
export function toJsonLd(root: RdfNode, prefixes: Record<string, string>): Record<string, unknown> {
  return { '@context': prefixes, ...jsonLdNode(root) };
}

/** IRIREF of Turtle: characters it does not allow are percent-encoded. */
function iriRef(value: string): string {
  return `<${value.replace(/[\u0000-\u0020<>"{}|^`\\]/g, (char) => encodeURIComponent(char))}>`;
}

const escapes: Record<string, string> = { '\\': '\\\\', '"': '\\"', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
function literal(term: RdfLiteral): string {
  const body = term.value.replace(/[\\"\n\r\t]|[\u0000-\u001f\u007f]/g, (char) => escapes[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (term.language) return `"${body}"@${term.language}`;
  return term.datatype ? `"${body}"^^${term.datatype}` : `"${body}"`;
}

/** Turtle 1.1: a block per named node, blank nodes inline as [ … ]. */
export function toTurtle(root: RdfNode, prefixes: Record<string, string>): string {
  const blocks: string[] = [Object.entries(prefixes).map(([prefix, namespace]) => `@prefix ${prefix}: ${iriRef(namespace)} .`).join('\n')];
  const queue: RdfNode[] = [root];
  const written = new Set<string>();

  const term = (value: RdfTerm, indent: string): string => {
    if (isIri(value)) return iriRef(value.iri);
    if (isLiteral(value)) return literal(value);
    if (value.id !== undefined) {
      queue.push(value);
      return iriRef(value.id);
    }
    return `[\n${body(value, `${indent}    `)}\n${indent}]`;
  };
  const body = (node: RdfNode, indent: string): string => {
    const lines = [`${indent}a ${node.types.join(', ')}`];
    for (const [predicate, value] of Object.entries(node.properties)) {
      const values = valuesOf(value);
      if (values.length > 0) lines.push(`${indent}${predicate} ${values.map((item) => term(item, indent)).join(', ')}`);
    }
    return lines.join(' ;\n');
  };

  while (queue.length > 0) {
    const node = queue.shift()!;
    if (written.has(node.id!)) continue;
    written.add(node.id!);
    blocks.push(`${iriRef(node.id!)}\n${body(node, '    ')} .`);
  }
  return `${blocks.join('\n\n')}\n`;
}
