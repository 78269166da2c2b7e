/**
 * Compose's variable templates: `$VAR ${VAR} ${VAR:-d} ${VAR-d} ${VAR:?e} ${VAR?e} ${VAR:+a} ${VAR+a}`,
 * nested templates inside defaults, messages and alternatives, and `$$` for a literal `$`.
 * A `$` not followed by a name, `{` or `$` stays as written, as in compose-go (`^REGEX$`, `a $ b`).
 */

/** The value of a variable, or undefined when it is not set (set-but-empty is ""). */
export type Lookup = (name: string) => string | undefined;

export type TemplateError =
  /** The text is not a valid template (`${`, `${}`, `${ VAR}`, `${VAR:x}`). */
  | { kind: 'invalid'; template: string; reason: string }
  /** `${VAR:?message}` or `${VAR?message}` met an unset (or empty) variable. */
  | { kind: 'required'; variable: string; message: string };

export type SubstituteResult =
  | {
      ok: true;
      value: string;
      /** Variables used without a default while unset, in order of first use, each once. */
      unset: string[];
    }
  | { ok: false; error: TemplateError };

export function substitute(text: string, lookup: Lookup): SubstituteResult {
  if (!text.includes('$')) return { ok: true, value: text, unset: [] };
  const context: Context = { lookup, unset: [], evaluate: true, template: text };
  try {
    const value = expand(text, context);
    return { ok: true, value, unset: [...new Set(context.unset)] };
  } catch (error) {
    if (error instanceof TemplateFailure) return { ok: false, error: error.detail };
    throw error;
  }
}

/** The bare problem in compose-go's words, e.g. `required variable FOO is missing a value: set it`. */
export function describeTemplateError(error: TemplateError): string {
  if (error.kind === 'required') {
    const base = `required variable ${error.variable} is missing a value`;
    return error.message === '' ? base : `${base}: ${error.message}`;
  }
  return `invalid interpolation format ${JSON.stringify(error.template)}: ${error.reason}`;
}

interface Context {
  lookup: Lookup;
  unset: string[];
  /** False while only checking the syntax of a branch that is not used (no lookups, no failures). */
  evaluate: boolean;
  template: string;
}

// Thrown inside this module only, to unwind nested templates; substitute() turns it into a result.
class TemplateFailure extends Error {
  constructor(readonly detail: TemplateError) {
    super('template failure');
  }
}

const NAME_AT = /[A-Za-z_][A-Za-z0-9_]*/y;
const NAME_START = /^[A-Za-z_][A-Za-z0-9_]*/;
const OPERATORS = [':-', ':?', ':+', '-', '?', '+'] as const;
type Operator = (typeof OPERATORS)[number];

function expand(text: string, context: Context): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const dollar = text.indexOf('$', i);
    if (dollar < 0) {
      out += text.slice(i);
      break;
    }
    out += text.slice(i, dollar);
    const next = text[dollar + 1];
    if (next === '$') {
      out += '$';
      i = dollar + 2;
    } else if (next === '{') {
      const close = closingBrace(text, dollar + 2);
      if (close < 0) invalid(context, `"${text.slice(dollar)}" has no closing "}"`);
      out += expandBraced(text.slice(dollar + 2, close), context);
      i = close + 1;
    } else {
      NAME_AT.lastIndex = dollar + 1;
      const name = NAME_AT.exec(text)?.[0];
      if (name === undefined) {
        out += '$';
        i = dollar + 1;
      } else {
        out += plainVariable(name, context);
        i = dollar + 1 + name.length;
      }
    }
  }
  return out;
}

/** Index of the `}` that closes a `${` opened just before `start`, counting nested `${`; -1 if none. */
function closingBrace(text: string, start: number): number {
  let depth = 1;
  let j = start;
  while (j < text.length) {
    const c = text[j];
    if (c === '$' && (text[j + 1] === '$' || text[j + 1] === '{')) {
      if (text[j + 1] === '{') depth++;
      j += 2;
      continue;
    }
    if (c === '}' && --depth === 0) return j;
    j++;
  }
  return -1;
}

function expandBraced(body: string, context: Context): string {
  const name = NAME_START.exec(body)?.[0];
  if (name === undefined) {
    invalid(
      context,
      body === '' ? '"${}" names no variable' : `"\${${body}}" does not start with a variable name`,
    );
  }
  const rest = body.slice(name.length);
  if (rest === '') return plainVariable(name, context);
  const operator = OPERATORS.find((op) => rest.startsWith(op));
  if (operator === undefined) {
    invalid(
      context,
      `unexpected ${JSON.stringify(rest)} after the variable name ${name} (expected one of :- - :? ? :+ +)`,
    );
  }
  return applyOperator(name, operator, rest.slice(operator.length), context);
}

function applyOperator(name: string, operator: Operator, argument: string, context: Context): string {
  if (!context.evaluate) {
    expand(argument, context);
    return '';
  }
  const value = context.lookup(name);
  const emptyOrUnset = value === undefined || value === '';
  let useArgument: boolean;
  switch (operator) {
    case ':-':
      useArgument = emptyOrUnset;
      break;
    case '-':
      useArgument = value === undefined;
      break;
    case ':+':
      useArgument = !emptyOrUnset;
      break;
    case '+':
      useArgument = value !== undefined;
      break;
    case ':?':
    case '?':
      if (operator === ':?' ? emptyOrUnset : value === undefined) {
        throw new TemplateFailure({ kind: 'required', variable: name, message: expand(argument, context) });
      }
      useArgument = false;
      break;
  }
  if (useArgument) return expand(argument, context);
  // The unused argument is still checked for syntax, without lookups or failures.
  expand(argument, { ...context, evaluate: false });
  return operator === ':+' || operator === '+' ? '' : (value ?? '');
}

function plainVariable(name: string, context: Context): string {
  if (!context.evaluate) return '';
  const value = context.lookup(name);
  if (value === undefined) {
    context.unset.push(name);
    return '';
  }
  return value;
}

function invalid(context: Context, reason: string): never {
  throw new TemplateFailure({ kind: 'invalid', template: context.template, reason });
}
