/**
 * Secrets and configs as docker compose gives them to a container: one from a `file:` is bind-mounted
 * read-only at its target (its uid, gid and mode cannot apply to a bind and are warned about, as
 * compose does); one from `environment:` or `content:` becomes a file copied into the container
 * before it starts, with the mode (default 0444), uid and gid asked for. Secrets default to
 * /run/secrets/<name>, configs to /<name>. A mount the service already has at that path wins.
 */
import { existsSync } from 'node:fs';

import { ComposeError } from '../../project/errors.js';
import type { FileReference, Secret } from '../../project/types.js';
import {
  DEFAULT_FILE_MODE,
  DEFAULT_SECRET_MODE,
  fileTarget,
  inlineContent,
  type Kind,
} from '../local/secrets.js';
import type { ContainerCreateRequest } from '../types.js';
import type { PlannedMount } from './container-mounts.js';

/** A file to copy into the created container before it starts (secrets/configs without a file source). */
export interface ContainerFile {
  path: string;
  content: Buffer;
  mode: number;
  uid: number;
  gid: number;
}

/** Adds the bind mounts of file-sourced secrets and configs to `mounts`; returns the files to copy. */
export function secretsAndConfigs(
  request: ContainerCreateRequest,
  hostEnv: Record<string, string | undefined>,
  mounts: Map<string, PlannedMount>,
  warnings: string[],
): ContainerFile[] {
  const files: ContainerFile[] = [];
  const refs: [Kind, FileReference, number][] = [
    ...(request.service.secrets ?? []).map((ref, i): [Kind, FileReference, number] => ['secret', ref, i]),
    ...(request.service.configs ?? []).map((ref, i): [Kind, FileReference, number] => ['config', ref, i]),
  ];
  for (const [kind, ref, index] of refs) {
    const definition = definitionOf(kind, ref, index, request);
    const target = fileTarget(kind, ref);
    if (mounts.has(target) || files.some((f) => f.path === target)) continue;
    const serviceName = request.serviceName;
    if (definition.file !== undefined) {
      if (!existsSync(definition.file)) {
        throw new ComposeError(
          `service "${serviceName}": ${kind} "${ref.source}": file ${definition.file} does not exist`,
          {
            keyPath: [`${kind}s`, ref.source, 'file'],
            hint: `create the file, or point ${kind}s.${ref.source}.file at an existing one`,
          },
        );
      }
      if (ref.uid !== undefined || ref.gid !== undefined || ref.mode !== undefined) {
        warnings.push(
          `service "${serviceName}": ${kind} "${ref.source}" comes from a file, which is bind-mounted as it is: its uid, gid and mode are ignored`,
        );
      }
      mounts.set(target, {
        mount: { Type: 'bind', Source: definition.file, Target: target, ReadOnly: true },
      });
      continue;
    }
    files.push({
      path: target,
      content: Buffer.from(inlineContent(kind, ref.source, definition, hostEnv, serviceName)),
      mode: ref.mode ?? (kind === 'secret' ? DEFAULT_SECRET_MODE : DEFAULT_FILE_MODE),
      uid: numericId(ref, 'uid', kind, index, serviceName),
      gid: numericId(ref, 'gid', kind, index, serviceName),
    });
  }
  return files;
}

function definitionOf(
  kind: Kind,
  ref: FileReference,
  index: number,
  request: ContainerCreateRequest,
): Secret {
  const serviceName = request.serviceName;
  const definitions: Record<string, Secret> = kind === 'secret' ? request.secrets : request.configs;
  const definition = Object.hasOwn(definitions, ref.source) ? definitions[ref.source] : undefined;
  if (definition === undefined) {
    throw new ComposeError(`service "${serviceName}" refers to undefined ${kind} "${ref.source}"`, {
      keyPath: ['services', serviceName, `${kind}s`, index],
      hint: `declare it under the top-level ${kind}s: key`,
    });
  }
  const keyPath = [`${kind}s`, ref.source];
  if (definition.external === true) {
    throw new ComposeError(`${kind} "${ref.source}" is external, and only Swarm has a ${kind} store`, {
      keyPath,
      hint: 'define it with file:, environment: or content:, or deploy the project as a Swarm stack',
    });
  }
  for (const key of ['driver', 'template_driver'] as const) {
    if (definition[key] !== undefined) {
      throw new ComposeError(`${kind} "${ref.source}" sets ${key}, which only Swarm supports`, {
        keyPath: [...keyPath, key],
        hint: `remove ${key}, or deploy the project as a Swarm stack`,
      });
    }
  }
  return definition;
}

function numericId(
  ref: FileReference,
  key: 'uid' | 'gid',
  kind: Kind,
  index: number,
  serviceName: string,
): number {
  const id = ref[key];
  if (id === undefined) return 0;
  if (!/^\d+$/.test(id)) {
    throw new ComposeError(
      `service "${serviceName}": ${kind} "${ref.source}" has a non-numeric ${key} "${id}"`,
      {
        keyPath: ['services', serviceName, `${kind}s`, index, key],
        hint: `use a numeric ${key}`,
      },
    );
  }
  return Number(id);
}
