/**
 * The mounts of a replica, and the folders they need on disk. Without namespaces nothing is really
 * mounted: each mount is a container path standing for a host path, used by ./path-mapping.ts.
 *
 * - bind: the host path itself (must exist, or be created when `bind.create_host_path`).
 * - named volume: `<volumesRoot>/<engine name>/_data`, kept across containers.
 * - anonymous volume: a folder in the container's folder, removed with it.
 * - tmpfs: a fresh folder under /dev/shm (memory) when there is one, else in the container's folder.
 * - private: the replica's writable layer `<containerDir>/rootfs`, mounted at `/`, so any path no other
 *   mount covers lands there.
 * `read_only` is recorded in the plan; the process is not prevented from writing (best effort: berth has
 * no way to enforce it without namespaces).
 */
import { chmod, chown, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';

import { ComposeError } from '../../project/errors.js';
import type { KeyPath } from '../../project/key-path.js';
import type { ServiceVolume } from '../../project/types.js';
import type { ContainerCreateRequest } from '../types.js';
import { cleanContainerPath } from './path-mapping.js';
import type { MountPlan } from './types.js';

export interface MountContext {
  containerDir: string;
  volumesRoot: string;
  /** The uid/gid the replica runs as (berth is root and the service sets a user): new folders go to it. */
  owner?: { uid: number; gid: number } | undefined;
  /** Where tmpfs folders go when it exists; a parameter for tests. Default /dev/shm. */
  shmRoot?: string;
}

/** The private writable folder of a replica. */
export function privateFolder(containerDir: string): string {
  return join(containerDir, 'rootfs');
}

/** Creates what the service's mounts need and returns them, the private folder first. */
export async function planMounts(
  request: ContainerCreateRequest,
  context: MountContext,
): Promise<MountPlan[]> {
  const service = request.service;
  const serviceName = request.serviceName;
  const root = privateFolder(context.containerDir);
  await ensureFolder(root, context.owner);
  const mounts: MountPlan[] = [
    { kind: 'private', containerPath: '/', hostPath: root, readOnly: service.read_only === true },
  ];
  const add = (mount: MountPlan, keyPath: KeyPath): void => {
    const clash = mounts.find((m) => m.kind !== 'private' && m.containerPath === mount.containerPath);
    if (clash) {
      throw new ComposeError(`service "${serviceName}": duplicate mount point ${mount.containerPath}`, {
        keyPath,
        hint: 'mount one thing per container path',
      });
    }
    mounts.push(mount);
  };

  for (const [index, volume] of (service.volumes ?? []).entries()) {
    const keyPath = ['services', serviceName, 'volumes', index];
    add(await volumeMount(volume, index, request, context, keyPath), keyPath);
  }
  for (const [index, entry] of (service.tmpfs ?? []).entries()) {
    const keyPath = ['services', serviceName, 'tmpfs', index];
    const [target = '', options = ''] = entry.split(/:(.*)/s, 2);
    const mode = /(?:^|,)mode=([0-7]+)/.exec(options)?.[1];
    const hostPath = await tmpfsFolder(
      context,
      `tmpfs-${index}`,
      mode === undefined ? undefined : parseInt(mode, 8),
    );
    add({ kind: 'tmpfs', containerPath: cleanContainerPath(target), hostPath, readOnly: false }, keyPath);
  }
  return mounts;
}

/** The host path of a bind mount; relative ones (path resolution turned off) from the project folder. */
export function bindSource(
  request: ContainerCreateRequest,
  volume: ServiceVolume,
  containerPath: string,
  keyPath: KeyPath,
): string {
  if (volume.source === undefined || volume.source === '') {
    throw new ComposeError(`service "${request.serviceName}": bind mount of ${containerPath} has no source`, {
      keyPath,
      hint: 'set source to a path on this machine',
    });
  }
  return isAbsolute(volume.source) ? volume.source : resolve(request.project.workingDir, volume.source);
}

async function volumeMount(
  volume: ServiceVolume,
  index: number,
  request: ContainerCreateRequest,
  context: MountContext,
  keyPath: KeyPath,
): Promise<MountPlan> {
  const containerPath = cleanContainerPath(volume.target);
  const readOnly = volume.read_only === true;
  const serviceName = request.serviceName;
  switch (volume.type) {
    case 'bind': {
      const hostPath = bindSource(request, volume, containerPath, keyPath);
      if (!(await exists(hostPath))) {
        if (volume.bind?.create_host_path !== true) {
          throw new ComposeError(`service "${serviceName}": bind mount source ${hostPath} does not exist`, {
            keyPath,
            hint: 'create it, or set bind.create_host_path: true to let berth create a folder there',
          });
        }
        await mkdir(hostPath, { recursive: true });
      }
      return { kind: 'bind', containerPath, hostPath, readOnly };
    }
    case 'volume': {
      if (volume.source === undefined || volume.source === '') {
        const hostPath = join(context.containerDir, 'anonymous', String(index));
        await ensureFolder(hostPath, context.owner);
        return { kind: 'anonymous', containerPath, hostPath, readOnly };
      }
      const volumeName = Object.hasOwn(request.volumeNames, volume.source)
        ? request.volumeNames[volume.source]
        : undefined;
      if (volumeName === undefined) {
        throw new ComposeError(`service "${serviceName}" uses undefined volume "${volume.source}"`, {
          keyPath,
          hint: `declare it under the top-level volumes: key`,
        });
      }
      const data = join(context.volumesRoot, volumeName, '_data');
      const fresh = !(await exists(data));
      await mkdir(data, { recursive: true });
      if (fresh && context.owner) await chown(data, context.owner.uid, context.owner.gid);
      let hostPath = data;
      const subpath = volume.volume?.subpath;
      if (subpath !== undefined && subpath !== '') {
        hostPath = resolve(data, subpath);
        if (hostPath !== data && !hostPath.startsWith(data + sep)) {
          throw new ComposeError(`service "${serviceName}": volume subpath "${subpath}" leaves the volume`, {
            keyPath,
            hint: 'use a relative path inside the volume',
          });
        }
        if (!(await exists(hostPath))) {
          throw new ComposeError(
            `service "${serviceName}": subpath "${subpath}" does not exist in volume "${volumeName}"`,
            { keyPath, hint: `create ${hostPath} first` },
          );
        }
      }
      return { kind: 'volume', containerPath, hostPath, readOnly, volumeName };
    }
    case 'tmpfs': {
      const hostPath = await tmpfsFolder(context, `volume-${index}`, volume.tmpfs?.mode);
      return { kind: 'tmpfs', containerPath, hostPath, readOnly };
    }
    default:
      throw new ComposeError(
        `service "${serviceName}": volume type "${volume.type}" is not supported by berth's local engine`,
        { keyPath, hint: 'use a bind mount, a named volume or tmpfs' },
      );
  }
}

/** A folder for a tmpfs mount: in memory under /dev/shm when available, else in the container's folder. */
async function tmpfsFolder(context: MountContext, name: string, mode: number | undefined): Promise<string> {
  const shm = context.shmRoot ?? '/dev/shm';
  let hostPath: string | undefined;
  try {
    hostPath = await mkdtemp(join(shm, `berth-${name}-`));
  } catch {
    hostPath = join(context.containerDir, 'tmpfs', name);
    await mkdir(hostPath, { recursive: true });
  }
  if (mode !== undefined) await chmod(hostPath, mode);
  if (context.owner) await chown(hostPath, context.owner.uid, context.owner.gid);
  return hostPath;
}

/**
 * Removes what a container's mounts created outside its own folder (tmpfs folders under /dev/shm). The
 * container folder itself — private folder, anonymous volumes, secrets — is removed by whoever removes it.
 */
export async function releaseMounts(mounts: readonly MountPlan[], containerDir: string): Promise<void> {
  for (const mount of mounts) {
    if (mount.kind !== 'tmpfs' || isInside(mount.hostPath, containerDir)) continue;
    await rm(mount.hostPath, { recursive: true, force: true });
  }
}

/** mkdir -p, then hands a folder it created to `owner`. */
export async function ensureFolder(path: string, owner?: { uid: number; gid: number }): Promise<void> {
  const created = await mkdir(path, { recursive: true });
  if (created === undefined || !owner) return;
  // Every folder mkdir made, from the first one created down to `path`.
  const rest = relative(created, path);
  let current = created;
  await chown(current, owner.uid, owner.gid);
  for (const part of rest === '' ? [] : rest.split(sep)) {
    current = join(current, part);
    await chown(current, owner.uid, owner.gid);
  }
}

function isInside(path: string, folder: string): boolean {
  return path === folder || path.startsWith(folder + sep);
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
