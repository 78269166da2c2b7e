import { posix } from 'node:path';
import { type ComposeDict, isDict } from '../dict.js';
import type { KeyPath } from '../key-path.js';
import { type CanonicalContext, fail } from './context.js';
import { throughTags } from './tags.js';
import { canonicalSize } from './sizes.js';
import { describe, expectList, expectNumber } from './values.js';

/** A service mount in long syntax, as parsed from a short spec. */
export interface VolumeSpec {
  type: 'bind' | 'volume';
  source?: string;
  target: string;
  read_only?: boolean;
  bind?: { create_host_path?: boolean; selinux?: 'z' | 'Z'; propagation?: string };
  volume?: { nocopy?: boolean };
}

const VOLUME_FORMS =
  'use [SOURCE:]TARGET[:MODE] with MODE a comma-separated list of ro, rw, z, Z, nocopy or a propagation';
const PROPAGATIONS = new Set(['shared', 'rshared', 'slave', 'rslave', 'private', 'rprivate']);

/**
 * Parses a short volume spec `[SOURCE:]TARGET[:MODE]`. A source starting with `.`, `/`, `~`, `\\` or a
 * Windows drive is a bind mount (which creates a missing host path, as docker-compose v1 did), any other
 * source is a named volume, no source is an anonymous volume. Throws an Error with the reason otherwise.
 */
export function parseVolumeSpec(spec: string): VolumeSpec {
  if (spec === '') throw new Error('empty volume spec');
  const parts = splitVolumeSpec(spec);
  if (parts.some((p) => p === '')) throw new Error('empty section between colons');
  if (parts.length > 3) throw new Error('too many colons');
  // compose-go prints `volume: {}` for anonymous volumes too.
  if (parts.length === 1) return { type: 'volume', target: cleanTarget(parts[0]!), volume: {} };
  const [source, target, mode] = parts as [string, string, string | undefined];
  const volume: VolumeSpec = isFilePath(source)
    ? { type: 'bind', source, target: cleanTarget(target), bind: { create_host_path: true } }
    : { type: 'volume', source, target: cleanTarget(target), volume: {} };
  if (mode !== undefined) applyModes(volume, mode);
  return volume;
}

/** Splits on colons, except the one of a Windows drive letter (`C:\data:/data`) and inside `${...}`. */
function splitVolumeSpec(spec: string): string[] {
  const parts: string[] = [];
  let buffer = '';
  let depth = 0;
  for (let i = 0; i < spec.length; i++) {
    const ch = spec[i]!;
    if (ch === '$' && spec[i + 1] === '{') depth++;
    else if (ch === '}' && depth > 0) depth--;
    if (ch === ':' && depth === 0 && !(parts.length === 0 && isDriveColon(spec, i))) {
      parts.push(buffer);
      buffer = '';
    } else {
      buffer += ch;
    }
  }
  parts.push(buffer);
  return parts;
}

/**
 * A Windows drive (`C:\\src:/data`, `C:/src:/data:ro`): a one-letter source, then a path, then a target path.
 * `a:/data:ro` stays the named volume `a`.
 */
function isDriveColon(spec: string, i: number): boolean {
  if (i !== 1 || !/^[A-Za-z]$/.test(spec[0]!) || !/[\\/]/.test(spec[2] ?? '')) return false;
  const next = spec.indexOf(':', 2);
  return next >= 0 && /^(?:[\\/]|[A-Za-z]:[\\/])/.test(spec.slice(next + 1));
}

function applyModes(volume: VolumeSpec, mode: string): void {
  for (const option of mode.split(',')) {
    if (option === 'ro') volume.read_only = true;
    else if (option === 'rw') delete volume.read_only;
    else if (option === 'nocopy') volume.volume = { ...volume.volume, nocopy: true };
    else if (option === 'z' || option === 'Z') volume.bind = { ...volume.bind, selinux: option };
    else if (PROPAGATIONS.has(option)) volume.bind = { ...volume.bind, propagation: option };
    else throw new Error(`unknown mode "${option}"`);
  }
}

function isFilePath(source: string): boolean {
  if (/^[./~]/.test(source) || source.startsWith('\\\\')) return true;
  return /^[A-Za-z]:/.test(source);
}

/** Container paths are cleaned like Go's path.Clean: `/data/` -> `/data`. */
function cleanTarget(target: string): string {
  const cleaned = posix.normalize(target);
  return cleaned.length > 1 && cleaned.endsWith('/') ? cleaned.slice(0, -1) : cleaned;
}

/** services.*.volumes: every entry in long syntax. */
export function canonicalServiceVolumes(ctx: CanonicalContext, value: unknown, path: KeyPath): unknown {
  return throughTags(value, (inner) =>
    expectList(ctx, inner, path, 'volumes').map((entry, i) =>
      throughTags(entry, (e) => volumeEntry(ctx, e, [...path, i])),
    ),
  );
}

function volumeEntry(ctx: CanonicalContext, entry: unknown, path: KeyPath): unknown {
  if (typeof entry === 'string') {
    try {
      return parseVolumeSpec(entry);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      return fail(ctx, path, `invalid volume ${JSON.stringify(entry)}`, `${why}; ${VOLUME_FORMS}`, error);
    }
  }
  if (isDict(entry)) return longVolume(ctx, entry, path);
  return fail(ctx, path, `invalid volume: ${describe(entry)}`, VOLUME_FORMS);
}

function longVolume(ctx: CanonicalContext, entry: ComposeDict, path: KeyPath): ComposeDict {
  const volume = { ...entry };
  if (typeof volume.target !== 'string' || volume.target === '') {
    fail(ctx, path, 'volume has no target', 'set target to the path inside the container');
  }
  if (isDict(volume.tmpfs)) {
    const tmpfs = { ...volume.tmpfs };
    if (tmpfs.size !== undefined) tmpfs.size = canonicalSize(ctx, tmpfs.size, [...path, 'tmpfs', 'size']);
    if (typeof tmpfs.mode === 'string')
      tmpfs.mode = expectNumber(ctx, tmpfs.mode, [...path, 'tmpfs', 'mode'], 'mode');
    volume.tmpfs = tmpfs;
  }
  // compose-go defaults create_host_path to true wherever a `bind:` section is written.
  if (isDict(volume.bind) && volume.bind.create_host_path === undefined) {
    volume.bind = { ...volume.bind, create_host_path: true };
  }
  return volume;
}
