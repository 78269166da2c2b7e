import { Composer, type Document, LineCounter, Parser, type YAMLError } from 'yaml';
import type { ComposeDict } from './dict.js';
import { ComposeError } from './errors.js';
import { DocumentPositions, type Position } from './source-map.js';
import type { Warnings } from './warnings.js';
import { DocumentConverter, MAX_DEPTH } from './yaml-convert.js';

export { decodeComposeBytes } from './yaml-bytes.js';

export interface ParsedDocument {
  data: ComposeDict;
  positions: DocumentPositions;
  /** 0-based index of the document in its file's YAML stream. */
  index: number;
}

/** Hints for the yaml library's error codes that users meet most. */
const ERROR_HINTS: Record<string, string> = {
  TAB_AS_INDENT: 'indent with spaces, not tabs',
  BAD_INDENT: 'check the indentation of this line against the lines above',
  BLOCK_AS_IMPLICIT_KEY: 'put a nested mapping on its own, more indented lines',
  MULTILINE_IMPLICIT_KEY: 'a key must fit on one line; check for a missing colon or quote',
  MISSING_CHAR: 'check for an unclosed quote or bracket',
  BAD_SCALAR_START: 'quote the value',
};

/**
 * Parses a compose file's text: YAML 1.2 core schema (`yes`/`no` stay strings), anchors, aliases and
 * `<<` merge keys, `!reset`/`!override` kept as markers, one entry per non-empty document (a file with
 * no document at all yields one empty model). Warnings (unknown tags) go to `warnings` when given.
 */
export function parseYamlDocuments(text: string, file: string, warnings?: Warnings): ParsedDocument[] {
  refuseNul(text, file);
  const lineCounter = new LineCounter();
  const all = composeDocuments(text, file, lineCounter);
  const out: ParsedDocument[] = [];
  all.forEach((doc, index) => {
    const first = doc.errors[0];
    if (first) throw syntaxError(first, file, lineCounter);
    forwardWarnings(doc, file, lineCounter, warnings);
    const contents = doc.contents;
    if (contents === null || isEmptyScalar(contents)) return;
    const positionAt = (offset: number): Position => {
      const { line, col } = lineCounter.linePos(offset);
      return { line, column: col };
    };
    const positions = new DocumentPositions(file, positionAt);
    const converter = new DocumentConverter(file, lineCounter, doc.schema.tags);
    positions.root.value = contents.range?.[0] ?? 0;
    const data = converter.convert(contents, [], positions.root, 0);
    if (
      data === null ||
      typeof data !== 'object' ||
      Array.isArray(data) ||
      Object.getPrototypeOf(data) !== Object.prototype
    ) {
      throw new ComposeError('the top level must be a mapping', {
        location: { file, ...converter.positionOf(contents) },
        hint: 'a Compose file is a mapping of keys such as "services:"',
      });
    }
    out.push({ data: data as ComposeDict, positions, index });
  });
  if (out.length === 0) out.push({ data: {}, positions: new DocumentPositions(file), index: 0 });
  return out;
}

/** The composer's error callback (not in its public types; stable since yaml 2.0). */
type ErrorHook = (source: unknown, code: string, message: string, warning?: boolean) => void;

class FirstSyntaxError extends Error {}

/**
 * parseAllDocuments, stopping at the first syntax error: the yaml library otherwise goes on to build
 * one error object per bad token, and a half-megabyte file of junk would take many seconds to refuse.
 */
function composeDocuments(text: string, file: string, lineCounter: LineCounter): Document.Parsed[] {
  const composer = new Composer({
    schema: 'core',
    merge: true,
    // Duplicates are found while converting, to name both lines.
    uniqueKeys: false,
    prettyErrors: false,
  });
  const hooks = composer as unknown as { onError: ErrorHook };
  const record = hooks.onError;
  if (typeof record === 'function') {
    hooks.onError = (source, code, message, warning) => {
      record(source, code, message, warning);
      if (!warning) throw new FirstSyntaxError();
    };
  }
  const parser = new Parser(lineCounter.addNewLine);
  try {
    return Array.from(composer.compose(parser.parse(text)));
  } catch (error) {
    const first = composer.streamInfo().errors[0];
    if (error instanceof FirstSyntaxError && first) throw syntaxError(first, file, lineCounter);
    throw error;
  }
}

function refuseNul(text: string, file: string): void {
  const at = text.indexOf('\u0000');
  if (at < 0) return;
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < at; i = text.indexOf('\n', i + 1)) line++;
  throw new ComposeError('the file contains a NUL byte', {
    location: { file, line, column: at - text.lastIndexOf('\n', at - 1) },
    hint: 'a Compose file must be text; is this a binary file?',
  });
}

function syntaxError(error: YAMLError, file: string, lineCounter: LineCounter): ComposeError {
  const { line, col } = lineCounter.linePos(error.pos[0]);
  const location = { file, line, column: col };
  if (error.code === 'RESOURCE_EXHAUSTION') {
    return new ComposeError(`more than ${MAX_DEPTH} levels of nesting`, {
      location,
      hint: 'flatten the structure',
    });
  }
  // Without prettyErrors the library's message is one short sentence; cap it in case it quotes a long token.
  let message = error.message.split('\n')[0] ?? error.message;
  if (message.length > 160) message = `${message.slice(0, 157)}...`;
  return new ComposeError(`invalid YAML: ${message}`, { location, hint: ERROR_HINTS[error.code] });
}

function forwardWarnings(
  doc: Document.Parsed,
  file: string,
  lineCounter: LineCounter,
  warnings?: Warnings,
): void {
  if (!warnings) return;
  for (const warning of doc.warnings) {
    const { line, col } = lineCounter.linePos(warning.pos[0]);
    let message = warning.message;
    if (warning.code === 'TAG_RESOLVE_FAILED') {
      const tag = message.replace(/^Unresolved tag: /, '');
      // Compose's own tags are understood by the merge stage.
      if (tag === '!reset' || tag === '!override') continue;
      message = `unknown YAML tag ${tag} ignored`;
    }
    warnings.add({ message, location: { file, line, column: col } });
  }
}

function isEmptyScalar(node: NonNullable<Document.Parsed['contents']>): boolean {
  return 'value' in node && node.value === null && 'source' in node && node.source === '' && !node.tag;
}
