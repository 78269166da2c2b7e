import { isDict } from './dict.js';

/**
 * A small block-style YAML emitter for plain data (maps, lists, strings, numbers, booleans, null).
 * It exists for speed: the yaml library's stringify builds a whole Document first. Strings are written
 * plain only when they are plainly safe and read back as the same string under YAML 1.1 and 1.2;
 * everything else is double-quoted (JSON's escapes are valid YAML). Returns undefined for data it does
 * not handle (markers, dates, ...), so the caller can use the general stringify instead.
 */
export function emitYaml(value: unknown): string | undefined {
  const emitter = new Emitter();
  if (isDict(value) && hasEntries(value)) emitter.map(value, '', '');
  else if (Array.isArray(value) && value.length > 0) emitter.seq(value, '', '');
  else if (value === undefined) return undefined;
  else emitter.lines.push(emitter.inline(value));
  return emitter.supported ? `${emitter.lines.join('\n')}\n` : undefined;
}

class Emitter {
  readonly lines: string[] = [];
  supported = true;

  /** Writes a non-empty map; the first entry goes after `firstPrefix` (a list dash), the rest at `indent`. */
  map(map: Record<string, unknown>, indent: string, firstPrefix: string): void {
    let prefix = firstPrefix;
    for (const key in map) {
      if (!Object.hasOwn(map, key)) continue;
      const value = map[key];
      // As the yaml library does, undefined values are left out of maps.
      if (value === undefined) continue;
      const head = `${prefix}${scalarString(key)}:`;
      prefix = indent;
      if (isDict(value) && hasEntries(value)) {
        this.lines.push(head);
        this.map(value, `${indent}  `, `${indent}  `);
      } else if (Array.isArray(value) && value.length > 0) {
        this.lines.push(head);
        this.seq(value, `${indent}  `, `${indent}  `);
      } else {
        this.lines.push(`${head} ${this.inline(value)}`);
      }
    }
  }

  /** Writes a non-empty list, dashes at `indent` (the first one after `firstPrefix`). */
  seq(list: readonly unknown[], indent: string, firstPrefix: string): void {
    const inner = `${indent}  `;
    for (let i = 0; i < list.length; i++) {
      const prefix = `${i === 0 ? firstPrefix : indent}- `;
      const item = list[i];
      if (isDict(item) && hasEntries(item)) this.map(item, inner, prefix);
      else if (Array.isArray(item) && item.length > 0) this.seq(item, inner, prefix);
      else this.lines.push(`${prefix}${this.inline(item === undefined ? null : item)}`);
    }
  }

  /** A scalar or an empty collection, on the current line. */
  inline(value: unknown): string {
    if (value === null) return 'null';
    switch (typeof value) {
      case 'string':
        return scalarString(value);
      case 'boolean':
        return value ? 'true' : 'false';
      case 'number':
        return numberText(value);
      default:
        break;
    }
    if (Array.isArray(value)) return '[]';
    if (isDict(value)) return '{}';
    this.supported = false;
    return '';
  }
}

function hasEntries(map: Record<string, unknown>): boolean {
  for (const key in map) if (Object.hasOwn(map, key) && map[key] !== undefined) return true;
  return false;
}

function numberText(value: number): string {
  if (Number.isNaN(value)) return '.nan';
  if (value === Infinity) return '.inf';
  if (value === -Infinity) return '-.inf';
  return Object.is(value, -0) ? '-0' : String(value);
}

/** Characters with no meaning in block context (1), those a plain scalar may also start with (2). */
const PLAIN_CHARS = new Uint8Array(128);
for (const c of '@+=,()$%~-') PLAIN_CHARS[c.charCodeAt(0)] = 1;
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./')
  PLAIN_CHARS[c.charCodeAt(0)] = 2;

/** NaN (past the end) and non-ASCII read as 0. */
const plainClass = (code: number): number => PLAIN_CHARS[code] ?? 0;

/**
 * Plain-safe text: starts with a letter, digit, `_`, `.`, `/` or a `-` that is not a list dash; then
 * only characters with no meaning in block context; a `:` or a space only before another such
 * character (so no `: `, no trailing colon or space, no double space). A loop, not one regular
 * expression: one with an alternative per character overflows the stack on strings of a few hundred KB.
 */
function isPlainShape(text: string): boolean {
  const first = text.charCodeAt(0);
  if (first === 45 ? plainClass(text.charCodeAt(1)) === 0 : plainClass(first) !== 2) return false;
  for (let i = 1; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (plainClass(code) !== 0) continue;
    // ':' or ' ' before another plain character.
    if ((code === 58 || code === 32) && plainClass(text.charCodeAt(i + 1)) !== 0) continue;
    return false;
  }
  return true;
}

/** Words YAML 1.1 or 1.2 reads as null or booleans. */
const KEYWORDS =
  /^(?:~|null|Null|NULL|y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/;

/** Numbers of YAML 1.2 core and YAML 1.1 (underscores, 0b/0o/0x, leading zeros, sexagesimal), and 1.1 dates. */
const NUMBERS = [
  /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/,
  /^[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+]?[0-9]+)?$/,
  /^[-+]?(?:0b[01_]+|0o?[0-7_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*)$/,
  /^[-+]?[0-9][0-9_]*(?::[0-9_]+)+(?:\.[0-9_]*)?$/,
  /^[-+]?\.(?:inf|Inf|INF|nan|NaN|NAN)$/,
  /^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}/,
];

/** Characters outside YAML's printable set (or read as line breaks by some parsers) that JSON leaves as they are. */
const UNPRINTABLE = /[\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/g;

/** A string as YAML: plain when that reads back as the same string, else double-quoted. */
export function scalarString(text: string): string {
  if (isPlainSafe(text)) return text;
  return JSON.stringify(text).replace(
    UNPRINTABLE,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function isPlainSafe(text: string): boolean {
  if (!isPlainShape(text) || KEYWORDS.test(text)) return false;
  if (text.startsWith('---') || text.startsWith('...')) return false;
  const first = text.charCodeAt(0);
  // Only text starting with a digit, a sign or a dot can read as a number or a date.
  const numeric = (first >= 48 && first <= 57) || first === 43 || first === 45 || first === 46;
  return !numeric || !NUMBERS.some((re) => re.test(text));
}
