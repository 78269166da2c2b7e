import { type ComposeDict, isDict } from '../dict.js';
import type { KeyPath } from '../key-path.js';
import { canonicalCommand } from './command.js';
import { type CanonicalContext, fail } from './context.js';
import { canonicalEnvironment } from './mappings.js';
import { throughTags } from './tags.js';
import { describe, expectDict, expectList, stringOrList } from './values.js';

/** develop: a watch rule with a list of paths becomes one rule per path, as compose does. */
export function canonicalDevelop(ctx: CanonicalContext, value: unknown, path: KeyPath): unknown {
  return throughTags(value, (inner) => {
    const develop: ComposeDict = { ...expectDict(ctx, inner, path, 'develop') };
    if (develop.watch !== undefined) {
      develop.watch = throughTags(develop.watch, (w) => {
        const rules: unknown[] = [];
        expectList(ctx, w, [...path, 'watch'], 'watch').forEach((rule, i) => {
          rules.push(...watchRules(ctx, rule, [...path, 'watch', i]));
        });
        return rules;
      });
    }
    return develop;
  });
}

function watchRules(ctx: CanonicalContext, rule: unknown, path: KeyPath): unknown[] {
  if (!isDict(rule)) return [fail(ctx, path, `invalid watch rule: ${describe(rule)}`)];
  const base: ComposeDict = { ...rule };
  if (base.ignore !== undefined) base.ignore = stringOrList(ctx, base.ignore, [...path, 'ignore'], 'ignore');
  if (base.include !== undefined)
    base.include = stringOrList(ctx, base.include, [...path, 'include'], 'include');
  if (base.exec !== undefined) base.exec = lifecycleHook(ctx, base.exec, [...path, 'exec']);
  if (!Array.isArray(base.path)) return [base];
  return base.path.map((p) => ({ ...base, path: p }));
}

/** post_start / pre_stop: a list of hooks, each with its command split like `command`. */
export function canonicalHooks(ctx: CanonicalContext, value: unknown, path: KeyPath): unknown {
  return throughTags(value, (inner) =>
    expectList(ctx, inner, path, String(path[path.length - 1])).map((hook, i) =>
      throughTags(hook, (h) => lifecycleHook(ctx, h, [...path, i])),
    ),
  );
}

function lifecycleHook(ctx: CanonicalContext, value: unknown, path: KeyPath): ComposeDict {
  const hook: ComposeDict = { ...expectDict(ctx, value, path, 'hook') };
  if (hook.command !== undefined) hook.command = canonicalCommand(ctx, hook.command, [...path, 'command']);
  if (hook.environment !== undefined) {
    hook.environment = canonicalEnvironment(ctx, hook.environment, [...path, 'environment']);
  }
  return hook;
}
