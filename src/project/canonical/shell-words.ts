/** A command line that cannot be split: an unterminated quote. */
export class ShellWordsError extends Error {
  override readonly name = 'ShellWordsError';
}

const BLANKS = new Set([' ', '\t', '\n', '\r']);
/** Inside double quotes a backslash only escapes these (POSIX); elsewhere it stays literal. */
const DOUBLE_QUOTE_ESCAPABLE = new Set(['$', '`', '"', '\\', '\n']);

/**
 * Splits a command string into words the way a POSIX shell would, without running one: blanks separate
 * words, single quotes are literal, double quotes and backslashes escape, nothing is expanded (`$VAR`,
 * globs and operators such as `&&` stay literal text). Throws ShellWordsError on an unterminated quote.
 */
export function splitShellWords(text: string): string[] {
  const words: string[] = [];
  let word = '';
  // A word exists once anything was read for it, even an empty quoted string ('' is one empty word).
  let inWord = false;
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (BLANKS.has(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i++;
    } else if (ch === '\\') {
      const next = text[i + 1];
      if (next === undefined) word += ch;
      else if (next !== '\n') word += next;
      inWord = inWord || next !== '\n';
      i += 2;
    } else if (ch === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new ShellWordsError('unterminated single quote');
      word += text.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (ch === '"') {
      i++;
      let closed = false;
      while (i < text.length) {
        const c = text[i]!;
        if (c === '"') {
          closed = true;
          i++;
          break;
        }
        if (c === '\\' && i + 1 < text.length && DOUBLE_QUOTE_ESCAPABLE.has(text[i + 1]!)) {
          if (text[i + 1] !== '\n') word += text[i + 1];
          i += 2;
        } else {
          word += c;
          i++;
        }
      }
      if (!closed) throw new ShellWordsError('unterminated double quote');
      inWord = true;
    } else {
      word += ch;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(word);
  return words;
}
