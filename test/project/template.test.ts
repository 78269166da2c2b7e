import { describe, expect, it } from 'vitest';

import { describeTemplateError, substitute, type Lookup } from '../../src/project/template.js';

const env: Record<string, string> = { FOO: 'first', BAR: '', USER: 'alice', TAG: 'v1.5' };
const lookup: Lookup = (name) => (Object.hasOwn(env, name) ? env[name] : undefined);

function value(text: string): string {
  const result = substitute(text, lookup);
  if (!result.ok) throw new Error(`unexpected failure: ${describeTemplateError(result.error)}`);
  return result.value;
}

function problem(text: string): string {
  const result = substitute(text, lookup);
  if (result.ok) throw new Error(`expected a failure, got ${JSON.stringify(result.value)}`);
  return describeTemplateError(result.error);
}

describe('substitute', () => {
  it.each([
    ['no variables', 'plain text', 'plain text'],
    ['$VAR', 'This $FOO var', 'This first var'],
    ['${VAR}', 'This ${FOO} var', 'This first var'],
    ['$VAR stops at a non-name character', '$FOO-bar', 'first-bar'],
    ['$VAR followed by a dot', '$TAG.x', 'v1.5.x'],
    ['unset ${VAR} is empty', 'This ${missing} var', 'This  var'],
    ['empty ${VAR} is empty', 'This ${BAR} var', 'This  var'],
    ['$$ escapes', '$${foo} and $$FOO', '${foo} and $FOO'],
    ['lone $ before a space is kept', 'a $ string', 'a $ string'],
    ['trailing $ is kept', '^REGEX$', '^REGEX$'],
    ['$} is kept', '$}', '$}'],
    ['$ alone', '$', '$'],
    ['$ before a digit is kept', 'cost $5', 'cost $5'],
    [':- on unset', 'ok ${missing:-def}', 'ok def'],
    ['- on unset', 'ok ${missing-def}', 'ok def'],
    [':- on empty', 'ok ${BAR:-def}', 'ok def'],
    ['- on empty keeps empty', 'ok ${BAR-def}', 'ok '],
    [':- on set', 'ok ${FOO:-def}', 'ok first'],
    [':+ on unset', 'ok ${missing:+alt}', 'ok '],
    ['+ on unset', 'ok ${missing+alt}', 'ok '],
    [':+ on set', 'ok ${FOO:+alt}', 'ok alt'],
    ['+ on set', 'ok ${FOO+alt}', 'ok alt'],
    ['+ on empty', 'ok ${BAR+alt}', 'ok alt'],
    [':+ on empty', 'ok ${BAR:+alt}', 'ok '],
    [':? on set', 'ok ${FOO:?err}', 'ok first'],
    ['? on set', 'ok ${FOO?err}', 'ok first'],
    ['? on empty', 'ok ${BAR?err}', 'ok '],
    ['default with :- inside', 'ok ${BAR:-/non:-alphanumeric}', 'ok /non:-alphanumeric'],
    ['nested default', '${missing:-${FOO}}', 'first'],
    ['nested default of default', '${missing:-${other:-deep}}', 'deep'],
    ['nested $VAR in default', 'ok ${missing-$FOO}', 'ok first'],
    ['two nested in default', 'ok ${BAR:-${FOO} ${FOO}}', 'ok first first'],
    ['nested in alternative', 'ok ${BAR+$FOO ${FOO:+second}}', 'ok first second'],
    ['nested hard default on empty', '+ok ${missing:-${BAR-defaultValue}}', '+ok '],
    ['outer text with operators', ':-ok ${missing-defaultValue}', ':-ok defaultValue'],
    ['? before - picks ?', '${FOO?bar-baz}', 'first'],
    ['- before ? picks -', '${missing-myerror?msg}', 'myerror?msg'],
    ['$$ inside a default', '${missing:-$$HOME}', '$HOME'],
    ['lowercase names', '${user:-anon}', 'anon'],
    ['several in one string', '$USER:${TAG}@${missing:-host}', 'alice:v1.5@host'],
    ['closing brace after nested', '${missing:-{x}}', '{x}'],
  ])('%s', (_name, template, expected) => {
    expect(value(template)).toBe(expected);
  });

  // Examples of the Compose Specification's interpolation section.
  it.each([
    ['${VARIABLE:-default}', 'default'],
    ['${VARIABLE-default}', 'default'],
    ['${VARIABLE:+replacement}', ''],
    ['${FOO:+replacement}', 'replacement'],
    ['${VARIABLE:-${FOO}}', 'first'],
    ['${VARIABLE:-${FOO:-default}}', 'first'],
    ['${VARIABLE:-${OTHER:-default}}', 'default'],
    ['$$VAR_NOT_INTERPOLATED_BY_COMPOSE', '$VAR_NOT_INTERPOLATED_BY_COMPOSE'],
  ])('spec example %s', (template, expected) => {
    expect(value(template)).toBe(expected);
  });

  it('lists unset variables used without a default, once each', () => {
    const result = substitute('$A ${B} ${A} ${C:-x} ${D-y} ${E:+z} ${FOO}', lookup);
    expect(result).toEqual({ ok: true, value: '   x y  first', unset: ['A', 'B'] });
  });

  it('does not look up variables in unused branches', () => {
    const seen: string[] = [];
    const result = substitute('${FOO:-${NOPE}}', (name) => {
      seen.push(name);
      return lookup(name);
    });
    expect(result).toEqual({ ok: true, value: 'first', unset: [] });
    expect(seen).toEqual(['FOO']);
  });

  it.each([
    [
      '${missing:?Mandatory Variable Unset}',
      'required variable missing is missing a value: Mandatory Variable Unset',
    ],
    ['not ok ${BAR:?empty}', 'required variable BAR is missing a value: empty'],
    ['${missing:?}', 'required variable missing is missing a value'],
    ['${missing?Mandatory}', 'required variable missing is missing a value: Mandatory'],
    ['${missing?}', 'required variable missing is missing a value'],
    ['${missing?bar-baz}', 'required variable missing is missing a value: bar-baz'],
    ['${missing:?Mandatory ${FOO}}', 'required variable missing is missing a value: Mandatory first'],
    ['${other:-${missing:?inner}}', 'required variable missing is missing a value: inner'],
  ])('required %s', (template, message) => {
    expect(problem(template)).toBe(message);
    const result = substitute(template, lookup);
    expect(result.ok === false && result.error.kind).toBe('required');
  });

  it.each([
    ['${', 'has no closing "}"'],
    ['${FOO', 'has no closing "}"'],
    ['a ${FOO:-${BAR}', 'has no closing "}"'],
    ['${}', 'names no variable'],
    ['${ }', 'does not start with a variable name'],
    ['${ foo}', 'does not start with a variable name'],
    ['${1abc}', 'does not start with a variable name'],
    ['${foo }', 'unexpected " " after the variable name foo'],
    ['${foo!}', 'unexpected "!"'],
    ['${VAR:x}', 'unexpected ":x"'],
    ['${FOO:-${ bad}}', 'does not start with a variable name'],
    ['${missing:-ok} ${', 'has no closing'],
  ])('invalid %s', (template, reason) => {
    const result = substitute(template, lookup);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toMatchObject({ kind: 'invalid', template });
    expect(describeTemplateError(result.error)).toContain(
      `invalid interpolation format ${JSON.stringify(template)}`,
    );
    expect(describeTemplateError(result.error)).toContain(reason);
  });

  it('checks the syntax of an unused branch', () => {
    expect(problem('${FOO:-${}}')).toContain('names no variable');
  });
});
