import { escapeDollars } from '../project/escape-dollars.js';
import { renderJson, renderYaml } from '../project/serialize.js';
import type { StackChange, StackConversion } from './types.js';

export type StackFormat = 'yaml' | 'json';

/**
 * The stack file's text. Every `$` is doubled, as in `docker compose config`: `docker stack deploy`
 * interpolates the file again, and the values are already final.
 */
export function renderStack(conversion: StackConversion, format: StackFormat): string {
  const stack = escapeDollars(conversion.stack);
  return format === 'json' ? renderJson(stack) : renderYaml(stack);
}

/** One change as a report line for a person: `services.web.build: dropped: <why>`. */
export function renderChange(change: StackChange): string {
  return `${change.path}: ${change.action}: ${change.detail}`;
}

/** One change as a line of JSON, for `--format json`. */
export function renderChangeJson(change: StackChange, level: 'warning' | 'error'): string {
  return JSON.stringify({ level, ...change });
}
