import { ComposeError } from './errors.js';
import { describeTemplateError, substitute, type Lookup } from './template.js';

/**
 * Parses a dotenv file with compose-go's syntax: `KEY=VAL` or `KEY: VAL`, optional `export ` prefix,
 * `#` comments, unquoted values trimmed and cut at ` #`, single quotes literal, double quotes with
 * escapes and several lines, `${VAR}` templates in unquoted and double-quoted values (looked up in
 * `lookup` first, then in keys defined earlier in the file), and a bare `KEY` taken from `lookup`
 * when set there (else skipped).
 */
export function parseDotenv(text: string, file: string, lookup: Lookup): Record<string, string> {
  const parser = new DotenvParser(normalizeText(text), file, lookup);
  return Object.fromEntries(parser.parse());
}

/**
 * The `raw` env_file format: `KEY=VALUE` lines taken as written (no quotes, escapes or templates);
 * blank lines and `#` comments are skipped.
 */
export function parseRawEnv(text: string, file: string): Record<string, string> {
  const values = new Map<string, string>();
  const lines = normalizeText(text).split('\n');
  for (const [index, line] of lines.entries()) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const eq = line.indexOf('=');
    const key = (eq < 0 ? line : line.slice(0, eq)).trim();
    if (eq < 0 || key === '') {
      throw new ComposeError(`invalid line ${JSON.stringify(trimmed)} in raw env file`, {
        location: { file, line: index + 1 },
        hint: 'each line of a raw env file must be KEY=VALUE',
      });
    }
    values.set(key, line.slice(eq + 1));
  }
  return Object.fromEntries(values);
}

// Editors on Windows add a BOM and CRLF line ends; neither belongs to any value.
function normalizeText(text: string): string {
  return text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
}

const INLINE_SPACE = new Set([' ', '\t', '\v', '\f', '\u0085', '\u00A0']);
const KEY_CHAR = /^[\p{L}\p{N}_.\-[\]]$/u;
// `\$` becomes `$$`, the template escape: the substitution that follows turns it into one literal `$`.
const DOUBLE_QUOTE_ESCAPES = new Map([
  ['a', '\x07'],
  ['b', '\b'],
  ['f', '\f'],
  ['n', '\n'],
  ['r', '\r'],
  ['t', '\t'],
  ['v', '\v'],
  ['\\', '\\'],
  ['"', '"'],
  ['$', '$$'],
]);

class DotenvParser {
  private pos = 0;
  private line = 1;
  private readonly values = new Map<string, string>();

  constructor(
    private readonly text: string,
    private readonly file: string,
    private readonly lookup: Lookup,
  ) {}

  parse(): Map<string, string> {
    for (;;) {
      this.skipBlankAndComments();
      if (this.pos >= this.text.length) return this.values;
      this.statement();
    }
  }

  private statement(): void {
    const startLine = this.line;
    if (/^export[ \t]/.test(this.text.slice(this.pos, this.pos + 7))) {
      this.pos += 6;
      this.skipInlineSpace();
    }
    const keyStart = this.pos;
    while (this.pos < this.text.length && !'=:\n'.includes(this.text[this.pos]!)) this.pos++;
    const key = this.text.slice(keyStart, this.pos).trim();
    const separator = this.text[this.pos];
    this.checkKey(key, startLine);

    if (separator === undefined || separator === '\n') {
      // A bare KEY passes the variable through from the environment, if it is set there.
      const inherited = this.lookup(key);
      if (inherited !== undefined) this.values.set(key, inherited);
      return;
    }
    this.pos++;
    this.skipInlineSpace();
    const quote = this.text[this.pos];
    const value =
      quote === '"' || quote === "'"
        ? this.quotedValue(quote, key, startLine)
        : this.unquotedValue(startLine);
    this.values.set(key, value);
  }

  private checkKey(key: string, line: number): void {
    if (key === '') {
      this.fail('missing variable name', line, 'each line must look like KEY=VALUE');
    }
    for (const char of key) {
      if (KEY_CHAR.test(char)) continue;
      const problem = /\s/.test(char)
        ? `variable name ${JSON.stringify(key)} contains a space`
        : `unexpected character ${JSON.stringify(char)} in variable name ${JSON.stringify(key)}`;
      this.fail(problem, line, 'variable names may contain letters, digits, "_", ".", "-", "[" and "]"');
    }
  }

  private unquotedValue(line: number): string {
    let end = this.text.indexOf('\n', this.pos);
    if (end < 0) end = this.text.length;
    let value = this.text.slice(this.pos, end);
    this.pos = end;
    const comment = value.indexOf(' #');
    if (comment >= 0) value = value.slice(0, comment);
    return this.expand(value.trimEnd(), line);
  }

  private quotedValue(quote: '"' | "'", key: string, line: number): string {
    let raw = '';
    let i = this.pos + 1;
    for (; i < this.text.length; i++) {
      const c = this.text[i]!;
      if (c === '\n') this.line++;
      if (c === quote) break;
      if (c !== '\\' || i + 1 >= this.text.length) {
        raw += c;
        continue;
      }
      const next = this.text[++i]!;
      if (next === '\n') this.line++;
      if (quote === "'") raw += next === "'" ? "'" : `\\${next}`;
      else {
        const escape = doubleQuoteEscape(this.text, i);
        raw += escape.text;
        i += escape.extra;
      }
    }
    if (i >= this.text.length) {
      this.fail(`unterminated quoted value for ${key}`, line, `add the closing ${quote}`);
    }
    this.pos = i + 1;
    this.expectEndOfLine(key);
    return quote === '"' ? this.expand(raw, line) : raw;
  }

  /** After a closing quote only spaces and a comment may follow on the line. */
  private expectEndOfLine(key: string): void {
    this.skipInlineSpace();
    const c = this.text[this.pos];
    if (c === undefined || c === '\n') return;
    if (c === '#') {
      this.skipToLineEnd();
      return;
    }
    this.fail(
      `unexpected text after the quoted value of ${key}`,
      this.line,
      'quote the whole value, or start a comment with " #"',
    );
  }

  private expand(value: string, line: number): string {
    const result = substitute(value, (name) => this.lookup(name) ?? this.values.get(name));
    if (!result.ok) {
      this.fail(
        describeTemplateError(result.error),
        line,
        result.error.kind === 'invalid' ? 'you may need to escape any $ with another $' : undefined,
      );
    }
    return result.value;
  }

  private skipBlankAndComments(): void {
    while (this.pos < this.text.length) {
      const c = this.text[this.pos]!;
      if (c === '\n') {
        this.line++;
        this.pos++;
      } else if (INLINE_SPACE.has(c)) {
        this.pos++;
      } else if (c === '#') {
        this.skipToLineEnd();
      } else {
        return;
      }
    }
  }

  private skipToLineEnd(): void {
    const end = this.text.indexOf('\n', this.pos);
    this.pos = end < 0 ? this.text.length : end;
  }

  private skipInlineSpace(): void {
    while (this.pos < this.text.length && INLINE_SPACE.has(this.text[this.pos]!)) this.pos++;
  }

  private fail(problem: string, line: number, hint?: string): never {
    throw new ComposeError(problem, { location: { file: this.file, line }, hint });
  }
}

/**
 * What a backslash escape inside double quotes stands for; `index` is that of the escaped character,
 * `extra` counts the characters it consumed after it (the digits of `\0NNN`).
 */
function doubleQuoteEscape(text: string, index: number): { text: string; extra: number } {
  const next = text[index]!;
  const known = DOUBLE_QUOTE_ESCAPES.get(next);
  if (known !== undefined) return { text: known, extra: 0 };
  if (next === '0') {
    const digits = /^[0-7]{0,3}/.exec(text.slice(index + 1, index + 4))![0];
    return { text: String.fromCharCode(digits === '' ? 0 : parseInt(digits, 8)), extra: digits.length };
  }
  // Unknown escapes are kept as written, as compose-go does.
  return { text: `\\${next}`, extra: 0 };
}
