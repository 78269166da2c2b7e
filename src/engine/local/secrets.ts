/**
 * Secrets and configs: each becomes a file written into the container's folder (its content read from a
 * file, an environment variable or `content:`) with the requested mode, and a mount at its container
 * path. Writing a copy (rather than pointing at the source) is what lets `mode`, `uid` and `gid` apply,
 * as the Compose specification asks; a source that is a folder is mounted as is.
 *
 * Secrets default to `/run/secrets/<source>` (a relative target goes under /run/secrets) and live in
 * `<containerDir>/secrets`, which is also mounted at /run/secrets so the folder can be listed. Configs
 * default to `/<source>`; they and secrets with other absolute targets live in `<containerDir>/files`
 * at their container path.
 */
import { chmod, chown, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';

import { ComposeError } from '../../project/errors.js';
import type { FileReference, Secret } from '../../project/types.js';
import type { ContainerCreateRequest } from '../types.js';
import { cleanContainerPath } from './path-mapping.js';
import type { MountPlan } from './types.js';

export interface SecretContext {
  containerDir: string;
  /** Where `environment:` sources are read. */
  hostEnv: Record<string, string | undefined>;
  /** Only root may give files away (uid/gid of the reference, else the replica's user). */
  isRoot: boolean;
  owner?: { uid: number; gid: number } | undefined;
}

/** Docker's default for configs: world-readable. */
export const DEFAULT_FILE_MODE = 0o444;
/** A secret is readable by its owner only unless `mode:` says otherwise: nobody else on the host needs it. */
export const DEFAULT_SECRET_MODE = 0o400;
const SECRETS_DIR = '/run/secrets';

export type Kind = 'secret' | 'config';

/** Writes every secret and config file of the service and returns their mounts. */
export async function writeSecretFiles(
  request: ContainerCreateRequest,
  context: SecretContext,
): Promise<MountPlan[]> {
  const mounts: MountPlan[] = [];
  const refs: [Kind, FileReference, number][] = [
    ...(request.service.secrets ?? []).map((ref, i) => ['secret', ref, i] as [Kind, FileReference, number]),
    ...(request.service.configs ?? []).map((ref, i) => ['config', ref, i] as [Kind, FileReference, number]),
  ];
  let usesSecretsDir = false;
  for (const [kind, ref, index] of refs) {
    const mount = await writeOne(kind, ref, index, request, context);
    if (mounts.some((m) => m.containerPath === mount.containerPath)) {
      throw new ComposeError(
        `service "${request.serviceName}": two ${kind}s have the target ${mount.containerPath}`,
        {
          keyPath: ['services', request.serviceName, `${kind}s`, index],
          hint: 'give each one its own target',
        },
      );
    }
    mounts.push(mount);
    if (kind === 'secret' && mount.containerPath.startsWith(`${SECRETS_DIR}/`)) usesSecretsDir = true;
  }
  if (usesSecretsDir) {
    const hostPath = join(context.containerDir, 'secrets');
    mounts.unshift({ kind: 'secret', containerPath: SECRETS_DIR, hostPath, readOnly: true });
  }
  return mounts;
}

/** The container path of a secret or config reference. */
export function fileTarget(kind: Kind, ref: FileReference): string {
  const target = ref.target ?? ref.source;
  if (kind === 'secret')
    return cleanContainerPath(posix.isAbsolute(target) ? target : `${SECRETS_DIR}/${target}`);
  return cleanContainerPath(posix.isAbsolute(target) ? target : `/${target}`);
}

async function writeOne(
  kind: Kind,
  ref: FileReference,
  index: number,
  request: ContainerCreateRequest,
  context: SecretContext,
): Promise<MountPlan> {
  const serviceName = request.serviceName;
  const keyPath = ['services', serviceName, `${kind}s`, index];
  const definitions: Record<string, Secret> = kind === 'secret' ? request.secrets : request.configs;
  const definition = Object.hasOwn(definitions, ref.source) ? definitions[ref.source] : undefined;
  const containerPath = fileTarget(kind, ref);
  if (definition === undefined) {
    throw new ComposeError(`service "${serviceName}" refers to undefined ${kind} "${ref.source}"`, {
      keyPath,
      hint: `declare it under the top-level ${kind}s: key`,
    });
  }
  if (definition.external === true) {
    throw new ComposeError(
      `${kind} "${ref.source}" is external, and berth's local engine has no ${kind} store`,
      {
        keyPath: [`${kind}s`, ref.source],
        hint: 'define it with file:, environment: or content:',
      },
    );
  }

  // A target that names a folder berth needs (the root, the secrets folder) is no place for a file.
  if (containerPath === '/' || (kind === 'secret' && containerPath === SECRETS_DIR)) {
    throw new ComposeError(
      `service "${serviceName}": ${kind} "${ref.source}" has the target ${containerPath}, which is a folder`,
      {
        keyPath: [...keyPath, 'target'],
        hint: `give the path of a file, for example ${kind === 'secret' ? '/run/secrets/token' : '/etc/app.conf'}`,
      },
    );
  }
  for (const key of ['uid', 'gid'] as const) {
    const id = ref[key];
    if (id !== undefined && !/^\d+$/.test(id)) {
      throw new ComposeError(
        `service "${serviceName}": ${kind} "${ref.source}" has a non-numeric ${key} "${id}"`,
        {
          keyPath: [...keyPath, key],
          hint: `use a numeric ${key}`,
        },
      );
    }
  }
  if (definition.file !== undefined) {
    const info = await stat(definition.file).catch(() => undefined);
    if (info === undefined) {
      throw new ComposeError(
        `service "${serviceName}": ${kind} "${ref.source}": file ${definition.file} does not exist`,
        {
          keyPath: [`${kind}s`, ref.source, 'file'],
          hint: `create the file, or point ${kind}s.${ref.source}.file at an existing one`,
        },
      );
    }
    if (info.isDirectory()) return { kind, containerPath, hostPath: definition.file, readOnly: true };
  }
  const content = await readContent(kind, ref.source, definition, context, serviceName);

  const hostPath =
    kind === 'secret' && containerPath.startsWith(`${SECRETS_DIR}/`)
      ? join(context.containerDir, 'secrets', containerPath.slice(SECRETS_DIR.length + 1))
      : join(context.containerDir, 'files', containerPath);
  // Writable bits are ignored, as the specification says; the executable bit may be set.
  const mode = (ref.mode ?? (kind === 'secret' ? DEFAULT_SECRET_MODE : DEFAULT_FILE_MODE)) & 0o7777 & ~0o222;
  await mkdir(dirname(hostPath), { recursive: true });
  await rm(hostPath, { force: true });
  await writeFile(hostPath, content, { mode: 0o600 });
  await chmod(hostPath, mode);
  if (context.isRoot) {
    const uid = ref.uid === undefined ? context.owner?.uid : Number(ref.uid);
    const gid = ref.gid === undefined ? context.owner?.gid : Number(ref.gid);
    if (uid !== undefined || gid !== undefined) await chown(hostPath, uid ?? 0, gid ?? 0);
  }
  return { kind, containerPath, hostPath, readOnly: true };
}

async function readContent(
  kind: Kind,
  name: string,
  definition: Secret,
  context: SecretContext,
  serviceName: string,
): Promise<string | Buffer> {
  if (definition.file !== undefined) return readFile(definition.file);
  return inlineContent(kind, name, definition, context.hostEnv, serviceName);
}

/** The content of a secret or config without a file source: `content:`, or its `environment:` variable. */
export function inlineContent(
  kind: Kind,
  name: string,
  definition: Secret,
  hostEnv: Record<string, string | undefined>,
  serviceName: string,
): string {
  if (definition.content !== undefined) return definition.content;
  if (definition.environment !== undefined) {
    const value = hostEnv[definition.environment];
    if (value === undefined) {
      throw new ComposeError(
        `service "${serviceName}": ${kind} "${name}": environment variable ${definition.environment} is not set`,
        {
          keyPath: [`${kind}s`, name, 'environment'],
          hint: `set ${definition.environment} before running berth`,
        },
      );
    }
    return value;
  }
  throw new ComposeError(`${kind} "${name}" has no source`, {
    keyPath: [`${kind}s`, name],
    hint: 'give it one of file:, environment: or content:',
  });
}
