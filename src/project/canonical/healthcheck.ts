import { type ComposeDict } from '../dict.js';
import type { KeyPath } from '../key-path.js';
import { type CanonicalContext, fail } from './context.js';
import { canonicalDuration } from './durations-field.js';
import { throughTags } from './tags.js';
import { describe, expectDict, expectScalarText } from './values.js';

const DURATIONS = ['interval', 'timeout', 'start_period', 'start_interval'];

/** healthcheck: a string test runs in a shell (`CMD-SHELL`); durations printed as compose prints them. */
export function canonicalHealthcheck(ctx: CanonicalContext, value: unknown, path: KeyPath): unknown {
  return throughTags(value, (inner) => {
    const check: ComposeDict = { ...expectDict(ctx, inner, path, 'healthcheck') };
    if (check.test !== undefined) check.test = healthTest(ctx, check.test, [...path, 'test']);
    for (const key of DURATIONS) {
      if (check[key] !== undefined) check[key] = canonicalDuration(ctx, check[key], [...path, key]);
    }
    return check;
  });
}

function healthTest(ctx: CanonicalContext, value: unknown, path: KeyPath): unknown {
  return throughTags(value, (inner) => {
    if (typeof inner === 'string') return ['CMD-SHELL', inner];
    if (Array.isArray(inner))
      return inner.map((arg, i) => expectScalarText(ctx, arg, [...path, i], 'argument'));
    return fail(
      ctx,
      path,
      `test must be a string or a list, got ${describe(inner)}`,
      'use "curl -f http://localhost" or ["CMD", "curl", "-f", "http://localhost"]',
    );
  });
}
