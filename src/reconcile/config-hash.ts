import { createHash } from 'node:crypto';

import { isDict } from '../project/dict.js';
import type { Service } from '../project/types.js';

/**
 * The hash docker compose stores in `com.docker.compose.config-hash`: a digest of the service's
 * definition without the attributes that do not change a container (how many there are, how the
 * image is obtained, what it waits for, which profiles enable it). A different hash means the
 * replicas must be recreated.
 */
export function serviceConfigHash(service: Service): string {
  const copy: Record<string, unknown> = { ...service };
  delete copy.build;
  delete copy.pull_policy;
  delete copy.scale;
  delete copy.depends_on;
  delete copy.profiles;
  delete copy.develop;
  if (isDict(copy.deploy)) {
    const deploy = { ...copy.deploy };
    delete deploy.replicas;
    copy.deploy = deploy;
  }
  return createHash('sha256').update(stableJson(copy)).digest('hex');
}

/** JSON with sorted keys, so equal definitions always hash alike. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (isDict(value)) {
    const entries = Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson(value[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
