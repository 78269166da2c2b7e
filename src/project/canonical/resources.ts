import { type ComposeDict, isDict } from '../dict.js';
import type { KeyPath } from '../key-path.js';
import { type CanonicalContext, fail, warn } from './context.js';
import { canonicalLabels } from './mappings.js';
import { throughTags } from './tags.js';
import { describe } from './values.js';

/**
 * A top-level network, volume, secret or config definition: `null` is `{}`, the legacy `external: {name}`
 * becomes `external: true` plus `name` (with a deprecation warning), labels and option maps hold strings.
 */
export function canonicalResource(ctx: CanonicalContext, value: unknown, path: KeyPath): unknown {
  return throughTags(value, (inner) => {
    if (inner === null || inner === undefined) return {};
    if (!isDict(inner)) return fail(ctx, path, `must be a mapping, got ${describe(inner)}`);
    const resource: ComposeDict = { ...inner };
    if (isDict(resource.external)) legacyExternal(ctx, resource, path);
    if (resource.labels !== undefined)
      resource.labels = canonicalLabels(ctx, resource.labels, [...path, 'labels']);
    if (resource.driver_opts !== undefined) {
      resource.driver_opts = canonicalLabels(ctx, resource.driver_opts, [...path, 'driver_opts']);
    }
    if (isDict(resource.ipam)) resource.ipam = ipam(ctx, resource.ipam, [...path, 'ipam']);
    return resource;
  });
}

function legacyExternal(ctx: CanonicalContext, resource: ComposeDict, path: KeyPath): void {
  const external = resource.external as ComposeDict;
  const externalName = external.name;
  if (externalName !== undefined) {
    if (resource.name !== undefined && resource.name !== externalName) {
      fail(
        ctx,
        [...path, 'external', 'name'],
        `external.name ${JSON.stringify(externalName)} conflicts with name ${JSON.stringify(resource.name)}`,
        'keep only name, with external: true',
      );
    }
    warn(
      ctx,
      [...path, 'external', 'name'],
      'external.name is deprecated, please set name and external: true',
    );
    resource.name = externalName;
  }
  resource.external = true;
}

function ipam(ctx: CanonicalContext, value: ComposeDict, path: KeyPath): ComposeDict {
  const out: ComposeDict = { ...value };
  if (out.options !== undefined) out.options = canonicalLabels(ctx, out.options, [...path, 'options']);
  return out;
}
