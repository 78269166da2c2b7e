import path from 'node:path';

import { type ComposeDict, cloneData, isDict } from './dict.js';

/**
 * Makes the relative paths of a service absolute against `baseDir` (and `~` against `home`), the way
 * compose-go's path resolver does: build contexts (unless remote), bind mount sources, env files, label
 * files and watch paths. Absolute paths and values that are not paths are left alone. Returns a copy.
 */
export function resolveServicePaths(service: ComposeDict, baseDir: string, home: string): ComposeDict {
  const out = cloneData(service);
  const abs = (value: string): string => absolutePath(value, baseDir, home);

  const build = out.build;
  if (isDict(build)) {
    if (typeof build.context === 'string') build.context = resolveContext(build.context, baseDir, home);
    const extra = build.additional_contexts;
    if (isDict(extra)) {
      for (const [name, value] of Object.entries(extra)) {
        if (typeof value === 'string') extra[name] = resolveContext(value, baseDir, home);
      }
    }
  }

  if (Array.isArray(out.volumes)) {
    for (const mount of out.volumes) {
      if (isDict(mount) && mount.type === 'bind' && typeof mount.source === 'string' && mount.source !== '') {
        mount.source = abs(mount.source);
      }
    }
  }

  if (typeof out.env_file === 'string') out.env_file = abs(out.env_file);
  if (Array.isArray(out.env_file)) {
    out.env_file = out.env_file.map((entry: unknown) => {
      if (typeof entry === 'string') return abs(entry);
      if (isDict(entry) && typeof entry.path === 'string') entry.path = abs(entry.path);
      return entry;
    });
  }

  if (typeof out.label_file === 'string') out.label_file = abs(out.label_file);
  if (Array.isArray(out.label_file)) {
    out.label_file = out.label_file.map((entry: unknown) => (typeof entry === 'string' ? abs(entry) : entry));
  }

  const develop = out.develop;
  if (isDict(develop) && Array.isArray(develop.watch)) {
    for (const rule of develop.watch) {
      if (isDict(rule) && typeof rule.path === 'string') rule.path = abs(rule.path);
    }
  }
  return out;
}

/**
 * Resolves every service of a model, plus the `file` of top-level secrets and configs and the `device`
 * of local volumes that are really bind mounts (`driver: local`, `o: bind`). Returns a copy.
 */
export function resolveProjectPaths(model: ComposeDict, baseDir: string, home: string): ComposeDict {
  const out = cloneData(model);
  const services = out.services;
  if (isDict(services)) {
    for (const [name, service] of Object.entries(services)) {
      if (isDict(service)) services[name] = resolveServicePaths(service, baseDir, home);
    }
  }
  for (const kind of ['secrets', 'configs']) {
    const defs = out[kind];
    if (!isDict(defs)) continue;
    for (const def of Object.values(defs)) {
      if (isDict(def) && typeof def.file === 'string') def.file = absolutePath(def.file, baseDir, home);
    }
  }
  const volumes = out.volumes;
  if (isDict(volumes)) {
    for (const def of Object.values(volumes)) {
      if (!isDict(def) || def.driver !== 'local') continue;
      const opts = def.driver_opts;
      if (isDict(opts) && opts.o === 'bind' && typeof opts.device === 'string') {
        opts.device = absolutePath(opts.device, baseDir, home);
      }
    }
  }
  return out;
}

/** `~` and `~/x` expand to the home folder; other relative paths join `baseDir`; absolute ones stay. */
export function absolutePath(value: string, baseDir: string, home: string): string {
  if (value === '~') return home;
  if (value.startsWith('~/')) return path.join(home, value.slice(2));
  if (isAbsolutePath(value)) return value;
  return path.join(baseDir, value);
}

/** POSIX absolute, or a Windows one (`C:\x`, `C:/x`, `\\server\share`) that a Linux host must not rewrite. */
export function isAbsolutePath(value: string): boolean {
  return path.isAbsolute(value) || /^[A-Za-z]:[\\/]/.test(value) || value.startsWith('\\\\');
}

/** A build context that is a URL, a Git reference or a `service:`/`docker-image://` reference is not a path. */
export function isRemoteContext(value: string): boolean {
  if (value.includes('://') || value.startsWith('service:')) return true;
  return ['github.com/', 'git@'].some((prefix) => value.startsWith(prefix));
}

function resolveContext(value: string, baseDir: string, home: string): string {
  return isRemoteContext(value) ? value : absolutePath(value, baseDir, home);
}
