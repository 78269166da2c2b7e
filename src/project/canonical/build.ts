import { type ComposeDict, isDict } from '../dict.js';
import type { KeyPath } from '../key-path.js';
import { type CanonicalContext, fail } from './context.js';
import { canonicalExtraHosts } from './extra-hosts.js';
import { canonicalFileRefs } from './file-refs.js';
import { canonicalEnvironment, canonicalLabels } from './mappings.js';
import { canonicalSize } from './sizes.js';
import { throughTags } from './tags.js';
import { canonicalUlimits } from './ulimits.js';
import { describe, scalarText, stringOrList } from './values.js';

const LISTS = ['cache_from', 'cache_to', 'tags', 'platforms', 'entitlements'];

/**
 * build: a context path -> `{context}`; a map gets long syntax inside. The defaults (context `.`,
 * dockerfile `Dockerfile`) are added after merging (normalize.ts): an override file that only sets
 * `args` must not reset the base file's context.
 */
export function canonicalBuild(ctx: CanonicalContext, value: unknown, path: KeyPath): unknown {
  return throughTags(value, (inner) => {
    if (typeof inner === 'string') return { context: inner };
    if (!isDict(inner)) return fail(ctx, path, `must be a context path or a mapping, got ${describe(inner)}`);
    const build: ComposeDict = { ...inner };
    const at = (key: string): KeyPath => [...path, key];
    if (build.args !== undefined) build.args = canonicalEnvironment(ctx, build.args, at('args'));
    if (build.labels !== undefined) build.labels = canonicalLabels(ctx, build.labels, at('labels'));
    if (build.additional_contexts !== undefined) {
      build.additional_contexts = canonicalLabels(ctx, build.additional_contexts, at('additional_contexts'));
    }
    if (build.extra_hosts !== undefined)
      build.extra_hosts = canonicalExtraHosts(ctx, build.extra_hosts, at('extra_hosts'));
    if (build.shm_size !== undefined) build.shm_size = canonicalSize(ctx, build.shm_size, at('shm_size'));
    if (build.ulimits !== undefined) build.ulimits = canonicalUlimits(ctx, build.ulimits, at('ulimits'));
    if (build.secrets !== undefined) build.secrets = canonicalFileRefs(ctx, build.secrets, at('secrets'));
    if (build.ssh !== undefined) build.ssh = canonicalSsh(ctx, build.ssh, at('ssh'));
    for (const key of LISTS) {
      if (build[key] !== undefined)
        build[key] = throughTags(build[key], (v) => stringOrList(ctx, v, at(key), key));
    }
    return build;
  });
}

/** build.ssh: `default`, a list of `id[=path]`, or a map id -> path, as a list of `id[=path]`. */
function canonicalSsh(ctx: CanonicalContext, value: unknown, path: KeyPath): unknown {
  return throughTags(value, (inner) => {
    if (isDict(inner)) {
      return Object.entries(inner).map(([id, key]) => {
        if (key === null || key === undefined || key === '') return id;
        const text = scalarText(key);
        if (text === undefined) return fail(ctx, [...path, id], `invalid ssh key path: ${describe(key)}`);
        return `${id}=${text}`;
      });
    }
    return stringOrList(ctx, inner, path, 'ssh');
  });
}
