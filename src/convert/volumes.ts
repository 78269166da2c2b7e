import type { Volume } from '../project/types.js';
import { externalResource } from './networks.js';
import { explicitName } from './resource-name.js';
import type { StackDict } from './types.js';

/** A top-level named volume; each node creates its own copy with the driver given. */
export function swarmVolume(key: string, volume: Volume, projectName: string, version: string): StackDict {
  if (volume.external === true) return externalResource(key, volume.name, version);
  const out: StackDict = {};
  const name = explicitName(key, volume.name, projectName);
  if (name !== undefined) out.name = name;
  for (const [field, value] of Object.entries(volume)) {
    if (field !== 'name' && field !== 'external') out[field] = value;
  }
  return out;
}
