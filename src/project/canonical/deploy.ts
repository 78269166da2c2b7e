import { type ComposeDict, isDict } from '../dict.js';
import type { KeyPath } from '../key-path.js';
import { type CanonicalContext, fail } from './context.js';
import { canonicalDuration } from './durations-field.js';
import { canonicalLabels } from './mappings.js';
import { canonicalSize } from './sizes.js';
import { throughTags } from './tags.js';
import { describe, expectDict, expectList, expectNumber } from './values.js';

/** deploy: durations as Go duration strings, memory in bytes, cpus as numbers, labels as a map. */
export function canonicalDeploy(ctx: CanonicalContext, value: unknown, path: KeyPath): unknown {
  return throughTags(value, (inner) => {
    if (inner === null) return null;
    const deploy: ComposeDict = { ...expectDict(ctx, inner, path, 'deploy') };
    const at = (...keys: string[]): KeyPath => [...path, ...keys];
    if (deploy.labels !== undefined) deploy.labels = canonicalLabels(ctx, deploy.labels, at('labels'));
    if (deploy.restart_policy !== undefined) {
      deploy.restart_policy = sub(ctx, deploy.restart_policy, at('restart_policy'), (policy, p) => {
        durations(ctx, policy, p, ['delay', 'window']);
      });
    }
    for (const key of ['update_config', 'rollback_config']) {
      if (deploy[key] === undefined) continue;
      deploy[key] = sub(ctx, deploy[key], at(key), (config, p) => {
        durations(ctx, config, p, ['delay', 'monitor']);
      });
    }
    if (deploy.resources !== undefined) {
      deploy.resources = sub(ctx, deploy.resources, at('resources'), (resources, p) => {
        for (const key of ['limits', 'reservations']) {
          if (resources[key] === undefined) continue;
          resources[key] = sub(ctx, resources[key], [...p, key], (r, rp) => canonicalResources(ctx, r, rp));
        }
      });
    }
    return deploy;
  });
}

/** Applies `edit` to a copy of a sub-mapping; null stays null. */
function sub(
  ctx: CanonicalContext,
  value: unknown,
  path: KeyPath,
  edit: (dict: ComposeDict, path: KeyPath) => void,
): unknown {
  if (value === null) return value;
  return throughTags(value, (inner) => {
    const copy: ComposeDict = { ...expectDict(ctx, inner, path, String(path[path.length - 1])) };
    edit(copy, path);
    return copy;
  });
}

function durations(ctx: CanonicalContext, dict: ComposeDict, path: KeyPath, keys: string[]): void {
  for (const key of keys)
    if (dict[key] !== undefined) dict[key] = canonicalDuration(ctx, dict[key], [...path, key]);
}

function canonicalResources(ctx: CanonicalContext, resources: ComposeDict, path: KeyPath): void {
  if (resources.memory !== undefined)
    resources.memory = canonicalSize(ctx, resources.memory, [...path, 'memory']);
  if (resources.cpus !== undefined) resources.cpus = canonicalCpus(ctx, resources.cpus, [...path, 'cpus']);
  if (resources.pids !== undefined)
    resources.pids = expectNumber(ctx, resources.pids, [...path, 'pids'], 'pids');
  if (resources.devices !== undefined) {
    resources.devices = throughTags(resources.devices, (inner) =>
      expectList(ctx, inner, [...path, 'devices'], 'devices').map((d, i) =>
        throughTags(d, (e) => deviceRequest(ctx, e, [...path, 'devices', i], false)),
      ),
    );
  }
}

/** cpus: a number, also when written as a string (`"0.5"`). */
export function canonicalCpus(ctx: CanonicalContext, value: unknown, path: KeyPath): unknown {
  return throughTags(value, (inner) => expectNumber(ctx, inner, path, 'cpus'));
}

/** A GPU / device request: `count: all` is -1, as compose prints it. gpus without count or ids mean all. */
export function deviceRequest(
  ctx: CanonicalContext,
  entry: unknown,
  path: KeyPath,
  defaultAll: boolean,
): ComposeDict {
  if (!isDict(entry)) return fail(ctx, path, `invalid device request: ${describe(entry)}`);
  const request: ComposeDict = { ...entry };
  if (request.count !== undefined && request.device_ids !== undefined) {
    fail(ctx, path, '"count" and "device_ids" cannot be used together', 'set one of them');
  }
  if (defaultAll && request.count === undefined && request.device_ids === undefined) request.count = 'all';
  if (request.count !== undefined) request.count = deviceCount(ctx, request.count, [...path, 'count']);
  if (request.options !== undefined)
    request.options = canonicalLabels(ctx, request.options, [...path, 'options']);
  return request;
}

function deviceCount(ctx: CanonicalContext, count: unknown, path: KeyPath): number {
  if (typeof count === 'string' && count.toLowerCase() === 'all') return -1;
  if (typeof count === 'number' || (typeof count === 'string' && /^-?\d+$/.test(count))) return Number(count);
  return fail(ctx, path, `invalid count ${JSON.stringify(count)}`, 'use a number or "all"');
}

/** services.*.gpus: `all` or a list of device requests. */
export function canonicalGpus(ctx: CanonicalContext, value: unknown, path: KeyPath): unknown {
  return throughTags(value, (inner) => {
    if (typeof inner === 'string' && inner.toLowerCase() === 'all') return [{ count: -1 }];
    return expectList(ctx, inner, path, 'gpus').map((entry, i) =>
      throughTags(entry, (e) => deviceRequest(ctx, e, [...path, i], true)),
    );
  });
}
