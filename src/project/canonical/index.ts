import { type ComposeDict, isDict } from '../dict.js';
import type { DocumentPositions } from '../source-map.js';
import type { Warnings } from '../warnings.js';
import { type CanonicalContext, fail, warn } from './context.js';
import { canonicalIncludes } from './includes.js';
import { canonicalResource } from './resources.js';
import { canonicalService } from './service.js';
import { throughTags } from './tags.js';
import { describe } from './values.js';

export { splitShellWords, ShellWordsError } from './shell-words.js';
export { parseDuration, formatDuration } from './durations.js';
export { parseBytes } from './units.js';
export { parsePortSpec, type PortSpec } from './ports.js';
export { parseVolumeSpec, type VolumeSpec } from './volumes.js';
export { parseDeviceSpec, type DeviceSpec } from './devices.js';
export { canonicalEnvironment, canonicalLabels } from './mappings.js';
export type { CanonicalContext } from './context.js';

const RESOURCE_KINDS = ['networks', 'volumes', 'secrets', 'configs'];

/**
 * Turns every short syntax of one interpolated, typed, schema-valid document into compose's long syntax
 * (the shape `docker compose config` prints). Relative paths stay relative and nothing that depends on
 * other files or the project is added: normalize.ts does that after the merge. `!reset` values stay
 * markers; `!override` values are canonicalized inside their marker.
 */
export function canonicalize(
  model: ComposeDict,
  options: { positions: DocumentPositions; warnings: Warnings },
): ComposeDict {
  const ctx: CanonicalContext = { positions: options.positions, warnings: options.warnings };
  const out: ComposeDict = {};
  for (const [key, value] of Object.entries(model)) {
    if (key === 'version') {
      warn(
        ctx,
        ['version'],
        'the attribute "version" is obsolete, it will be ignored, please remove it to avoid potential confusion',
      );
    } else if (key === 'services') {
      out.services = eachEntry(ctx, value, 'services', (name, service) =>
        canonicalService(ctx, service, ['services', name]),
      );
    } else if (RESOURCE_KINDS.includes(key)) {
      out[key] = eachEntry(ctx, value, key, (name, resource) =>
        canonicalResource(ctx, resource, [key, name]),
      );
    } else if (key === 'include') {
      out.include = canonicalIncludes(ctx, value, ['include']);
    } else {
      out[key] = value;
    }
  }
  return out;
}

/** Maps each definition of a top-level section; `x-*` keys inside it are kept as written. */
function eachEntry(
  ctx: CanonicalContext,
  section: unknown,
  key: string,
  transform: (name: string, value: unknown) => unknown,
): unknown {
  return throughTags(section, (inner) => {
    if (inner === null) return inner;
    if (!isDict(inner)) return fail(ctx, [key], `${key} must be a mapping, got ${describe(inner)}`);
    const out: ComposeDict = {};
    for (const [name, value] of Object.entries(inner)) {
      out[name] = name.startsWith('x-') ? value : transform(name, value);
    }
    return out;
  });
}
