import path from 'node:path';

import { ComposeError } from '../project/errors.js';
import type { Secret } from '../project/types.js';
import type { ChangeLog } from './change-log.js';
import { externalResource } from './networks.js';
import { explicitName } from './resource-name.js';
import type { StackContentFile, StackDict } from './types.js';

export type FileResourceKind = 'secrets' | 'configs';

interface FileResourceContext {
  projectName: string;
  version: string;
  /** The interpolation environment the project was loaded with: where `environment:` values come from. */
  environment: Readonly<Record<string, string>>;
  contentDir: string | undefined;
  log: ChangeLog;
  files: StackContentFile[];
}

/**
 * A top-level secret or config. Swarm creates them from files only, so one given by `environment:` or
 * `content:` is written to a file in the content folder (private to the user: 0600) and the stack file
 * refers to that file; without a content folder it cannot be converted.
 */
export function swarmFileResource(
  kind: FileResourceKind,
  key: string,
  definition: Secret,
  ctx: FileResourceContext,
): StackDict {
  if (definition.external === true) return externalResource(key, definition.name, ctx.version);
  const out: StackDict = {};
  const name = explicitName(key, definition.name, ctx.projectName);
  if (name !== undefined) out.name = name;
  const file = definition.file ?? writtenFile(kind, key, definition, ctx);
  out.file = file;
  for (const [field, value] of Object.entries(definition)) {
    if (!['name', 'file', 'external', 'environment', 'content'].includes(field)) out[field] = value;
  }
  return out;
}

function writtenFile(
  kind: FileResourceKind,
  key: string,
  definition: Secret,
  ctx: FileResourceContext,
): string {
  const singular = kind === 'secrets' ? 'secret' : 'config';
  const source = definition.environment !== undefined ? 'environment' : 'content';
  const keyPath = [kind, key, source];
  let content: string;
  if (definition.environment !== undefined) {
    const value = ctx.environment[definition.environment];
    if (value === undefined) {
      throw new ComposeError(`environment variable ${definition.environment} is not set`, {
        keyPath,
        hint: `set ${definition.environment} before converting: Swarm takes the ${singular} from a file berth writes with its value`,
      });
    }
    content = value;
  } else if (definition.content !== undefined) {
    content = definition.content;
  } else {
    throw new ComposeError(`the ${singular} has no source`, {
      keyPath: [kind, key],
      hint: 'give it one of file:, environment: or content:',
    });
  }
  if (ctx.contentDir === undefined) {
    throw new ComposeError(`Swarm reads a ${singular} only from a file, and there is nowhere to write one`, {
      keyPath,
      hint: `write the stack file with -o FILE (the ${singular} then goes beside it), or give the ${singular} a file:`,
    });
  }
  // Keys are `[a-zA-Z0-9._-]+`: only `.` and `..` would not name a file of their own in the folder.
  const file = path.join(ctx.contentDir, kind, key === '.' || key === '..' ? `_${key}` : key);
  ctx.files.push({ path: file, content, mode: 0o600 });
  const what = source === 'environment' ? `the value of ${definition.environment}` : 'its content';
  ctx.log.written(
    keyPath,
    `${what} is written to ${file}, which the stack file names as the ${singular}'s file`,
  );
  return file;
}
