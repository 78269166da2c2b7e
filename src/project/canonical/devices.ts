import { type ComposeDict, isDict } from '../dict.js';
import type { KeyPath } from '../key-path.js';
import { type CanonicalContext, fail } from './context.js';
import { throughTags } from './tags.js';
import { describe, expectList } from './values.js';

const HINT =
  'write HOST_PATH[:CONTAINER_PATH][:PERMISSIONS] with permissions made of r, w and m, e.g. "/dev/ttyUSB0:/dev/ttyUSB0:rwm"';

/** One device mapping in long syntax. */
export interface DeviceSpec {
  source: string;
  target: string;
  permissions: string;
}

/** Parses `"/dev/a[:/dev/b][:rwm]"`; the target defaults to the source, permissions to `rwm` (docker's rules). */
export function parseDeviceSpec(spec: string): DeviceSpec {
  const parts = spec.split(':');
  const source = parts[0]!;
  if (source === '') throw new Error('no host path');
  if (parts.length === 1) return { source, target: source, permissions: 'rwm' };
  if (parts.length === 2) {
    if (isPermissions(parts[1]!)) return { source, target: source, permissions: parts[1]! };
    return { source, target: parts[1]!, permissions: 'rwm' };
  }
  if (parts.length === 3 && isPermissions(parts[2]!))
    return { source, target: parts[1]!, permissions: parts[2]! };
  throw new Error(parts.length === 3 ? `invalid permissions "${parts[2]}"` : 'too many colons');
}

function isPermissions(text: string): boolean {
  return text !== '' && /^[rwm]+$/.test(text) && new Set(text).size === text.length;
}

/** services.*.devices: every entry as `{source, target, permissions}`. */
export function canonicalDevices(ctx: CanonicalContext, value: unknown, path: KeyPath): unknown {
  return throughTags(value, (inner) =>
    expectList(ctx, inner, path, 'devices').map((entry, i) =>
      throughTags(entry, (e) => device(ctx, e, [...path, i])),
    ),
  );
}

function device(ctx: CanonicalContext, entry: unknown, path: KeyPath): unknown {
  if (typeof entry === 'string') {
    try {
      return parseDeviceSpec(entry);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      return fail(ctx, path, `invalid device ${JSON.stringify(entry)}`, `${why}; ${HINT}`, error);
    }
  }
  if (!isDict(entry) || typeof entry.source !== 'string') {
    return fail(ctx, path, `invalid device: ${describe(entry)}`, HINT);
  }
  const out: ComposeDict = { ...entry };
  out.target ??= entry.source;
  out.permissions ??= 'rwm';
  return out;
}
