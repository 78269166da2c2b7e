/**
 * Container paths -> host paths. A replica has no filesystem of its own: every path berth hands the
 * process (working_dir, arguments, environment values) is translated through the replica's mounts.
 *
 * The rule:
 * - `mapContainerPath` translates any container path: the mount with the longest containerPath that
 *   equals the path or is one of its parents wins; the private writable folder is mounted at `/`, so
 *   a path no other mount covers lands in it. Used for working_dir.
 * - Arguments and environment values are translated only when an explicit mount (anything but the
 *   private folder) covers them: `/bin/sh`, `/usr/bin/env` or an absolute path to a host binary must
 *   keep meaning what they mean on the host. Forms translated: `/abs/path`, `--opt=/abs/path`, lists
 *   of absolute paths joined by `:` (PATH-like values), and absolute paths inside shell scripts
 *   (`sh -c "..."`, CMD-SHELL healthchecks) when they follow a blank, a quote, `=` or `:`.
 */
import { posix } from 'node:path';

import type { MountPlan } from './types.js';

/** The mount covering `containerPath` (longest prefix wins), or undefined. */
export function findMount(containerPath: string, mounts: readonly MountPlan[]): MountPlan | undefined {
  const path = cleanContainerPath(containerPath);
  let best: MountPlan | undefined;
  for (const mount of mounts) {
    if (!covers(mount.containerPath, path)) continue;
    if (best === undefined || mount.containerPath.length >= best.containerPath.length) best = mount;
  }
  return best;
}

/** The host path for a container path; unchanged when nothing covers it (no private folder given). */
export function mapContainerPath(containerPath: string, mounts: readonly MountPlan[]): string {
  const path = cleanContainerPath(containerPath);
  const mount = findMount(path, mounts);
  if (mount === undefined) return path;
  return joinUnder(mount.hostPath, relativeTo(mount.containerPath, path));
}

/** Maps `/abs` or `--opt=/abs` when an explicit mount covers it; anything else is returned as is. */
export function mapArgument(argument: string, mounts: readonly MountPlan[]): string {
  if (isAbsoluteContainerPath(argument)) return mapExplicit(argument, mounts) ?? argument;
  const option = /^(-{1,2}[A-Za-z0-9][\w.-]*=)(\/.*)$/.exec(argument);
  if (option) {
    const mapped = mapExplicit(option[2]!, mounts);
    if (mapped !== undefined) return option[1]! + mapped;
  }
  return argument;
}

/** An environment value: one absolute path, or a `:`-separated list of them; each covered part mapped. */
export function mapEnvironmentValue(value: string, mounts: readonly MountPlan[]): string {
  const parts = value.split(':');
  if (!parts.every(isAbsoluteContainerPath)) return value;
  return parts.map((part) => mapExplicit(part, mounts) ?? part).join(':');
}

/** Absolute paths inside a shell script, where they start a word (after a blank, quote, `=`, `:`, `(`). */
export function mapPathsInScript(script: string, mounts: readonly MountPlan[]): string {
  return script.replace(/(^|[\s'"=:(<>|;&`])(\/[^\s'"`;&|<>()$:]*)/g, (whole, lead: string, path: string) => {
    const mapped = mapExplicit(path, mounts);
    return mapped === undefined ? whole : lead + mapped;
  });
}

/** The mapped path when an explicit (non-private) mount covers it. */
function mapExplicit(path: string, mounts: readonly MountPlan[]): string | undefined {
  if (!isAbsoluteContainerPath(path)) return undefined;
  const mount = findMount(path, mounts);
  if (mount === undefined || mount.kind === 'private') return undefined;
  const mapped = joinUnder(mount.hostPath, relativeTo(mount.containerPath, cleanContainerPath(path)));
  // Keep a trailing slash the user wrote (`/data/` names a directory to some programs).
  return path.length > 1 && path.endsWith('/') && !mapped.endsWith('/') ? `${mapped}/` : mapped;
}

function isAbsoluteContainerPath(text: string): boolean {
  return text.startsWith('/') && !text.startsWith('//') && !/[\s\0]/.test(text);
}

/** `/data/./x/` -> `/data/x`; a relative path is taken from `/`, as in a container. */
export function cleanContainerPath(path: string): string {
  const normalized = posix.normalize(posix.isAbsolute(path) ? path : `/${path}`);
  return normalized.length > 1 && normalized.endsWith('/') ? normalized.slice(0, -1) : normalized;
}

function covers(mountPath: string, path: string): boolean {
  return mountPath === '/' || path === mountPath || path.startsWith(`${mountPath}/`);
}

function relativeTo(mountPath: string, path: string): string {
  if (mountPath === '/') return path.slice(1);
  return path.slice(mountPath.length + 1);
}

function joinUnder(hostPath: string, rest: string): string {
  return rest === '' ? hostPath : posix.join(hostPath, rest);
}
