/**
 * The service's mounts as docker compose maps them. Bind mounts that may create a missing host path go
 * through the legacy `Binds` strings (the Mount API only learned to create one in API 1.42, and then
 * only the mount point), with ro, SELinux relabelling and propagation as options; a bind that must not
 * create its source, or sets `recursive`, goes through the Mount API, as do volumes (named ones by
 * their engine name, anonymous ones taking over the replaced container's volume on recreate) and
 * tmpfs mounts. One mount per container path: a later one replaces an earlier one, as in compose.
 */

import { ComposeError } from '../../project/errors.js';
import type { ServiceVolume } from '../../project/types.js';
import { bindSource } from '../local/mounts.js';
import { cleanContainerPath } from '../local/path-mapping.js';
import type { ContainerCreateRequest } from '../types.js';
import { apiAtLeast, tooOld } from './api-version.js';
import type { MountBody } from './create-body.js';

export interface MountsBody {
  Binds: string[];
  Mounts: MountBody[];
  Tmpfs: Record<string, string>;
}

/** A container path's mount: a `Binds` string or a Mount API entry. */
export type PlannedMount = { bind: string } | { mount: MountBody };

export interface MountsInput {
  request: ContainerCreateRequest;
  apiVersion: string;
  inheritedVolumes: Record<string, string>;
  warnings: string[];
}

/** Service volumes (and inherited anonymous volumes) by container path, in definition order. */
export function serviceMounts(input: MountsInput): Map<string, PlannedMount> {
  const { request } = input;
  const mounts = new Map<string, PlannedMount>();
  // Inherited volumes first, so that a service mount at the same path replaces them (image VOLUMEs).
  for (const [target, name] of Object.entries(input.inheritedVolumes)) {
    const path = cleanContainerPath(target);
    mounts.set(path, { mount: { Type: 'volume', Source: name, Target: path } });
  }
  for (const [index, volume] of (request.service.volumes ?? []).entries()) {
    const target = cleanContainerPath(volume.target);
    const mount = volumeMount(input, volume, target, index);
    if (mount === undefined) continue;
    mounts.delete(target);
    mounts.set(target, mount);
  }
  return mounts;
}

/** `tmpfs:` entries (`/run` or `/run:size=64m,mode=1777`) as HostConfig.Tmpfs. */
export function tmpfsMounts(entries: readonly string[] | undefined): Record<string, string> {
  const tmpfs: Record<string, string> = {};
  for (const entry of entries ?? []) {
    const colon = entry.indexOf(':');
    if (colon < 0) tmpfs[entry] = '';
    else tmpfs[entry.slice(0, colon)] = entry.slice(colon + 1);
  }
  return tmpfs;
}

/** Splits planned mounts into the two fields of HostConfig that carry them. */
export function mountsBody(mounts: Map<string, PlannedMount>, tmpfs: Record<string, string>): MountsBody {
  const body: MountsBody = { Binds: [], Mounts: [], Tmpfs: tmpfs };
  for (const planned of mounts.values()) {
    if ('bind' in planned) body.Binds.push(planned.bind);
    else body.Mounts.push(planned.mount);
  }
  return body;
}

function volumeMount(
  input: MountsInput,
  volume: ServiceVolume,
  target: string,
  index: number,
): PlannedMount | undefined {
  const { request, warnings } = input;
  const serviceName = request.serviceName;
  const keyPath = ['services', serviceName, 'volumes', index];
  const readOnly = volume.read_only === true ? { ReadOnly: true } : {};
  switch (volume.type) {
    case 'bind':
      return bindMount(input, volume, target, keyPath);
    case 'volume': {
      const source =
        volume.source === undefined || volume.source === ''
          ? input.inheritedVolumes[target]
          : (request.volumeNames[volume.source] ?? volume.source);
      const options: NonNullable<MountBody['VolumeOptions']> = {};
      if (volume.volume?.nocopy === true) options.NoCopy = true;
      if (volume.volume?.subpath !== undefined) {
        if (apiAtLeast(input.apiVersion, '1.45')) options.Subpath = volume.volume.subpath;
        else warnings.push(tooOld(serviceName, `volumes[${index}].volume.subpath`, '1.45', input.apiVersion));
      }
      return {
        mount: {
          Type: 'volume',
          ...(source === undefined ? {} : { Source: source }),
          Target: target,
          ...readOnly,
          ...(Object.keys(options).length > 0 ? { VolumeOptions: options } : {}),
        },
      };
    }
    case 'tmpfs': {
      const options: NonNullable<MountBody['TmpfsOptions']> = {};
      if (volume.tmpfs?.size !== undefined) options.SizeBytes = volume.tmpfs.size;
      if (volume.tmpfs?.mode !== undefined) options.Mode = volume.tmpfs.mode;
      return {
        mount: {
          Type: 'tmpfs',
          Target: target,
          ...readOnly,
          ...(Object.keys(options).length > 0 ? { TmpfsOptions: options } : {}),
        },
      };
    }
    case 'image': {
      if (!apiAtLeast(input.apiVersion, '1.47')) {
        warnings.push(tooOld(serviceName, `volumes[${index}] of type image`, '1.47', input.apiVersion));
        return undefined;
      }
      const subpath = volume.image?.subpath;
      return {
        mount: {
          Type: 'image',
          Source: volume.source ?? '',
          Target: target,
          ...readOnly,
          ...(subpath === undefined ? {} : { ImageOptions: { Subpath: subpath } }),
        },
      };
    }
    default:
      warnings.push(
        `service "${serviceName}": volumes[${index}] of type ${volume.type} (${target}) cannot be mounted by a Linux Docker engine and is ignored`,
      );
      return undefined;
  }
}

function bindMount(
  input: MountsInput,
  volume: ServiceVolume,
  target: string,
  keyPath: (string | number)[],
): PlannedMount {
  const { request, warnings } = input;
  const serviceName = request.serviceName;
  const source = bindSource(request, volume, target, keyPath);
  const bind = volume.bind ?? {};
  const where = `volumes[${String(keyPath[3])}]`;
  if (bind.create_host_path !== false && bind.recursive === undefined) {
    const modes = [
      ...(volume.read_only === true ? ['ro'] : []),
      ...(bind.selinux === undefined ? [] : [bind.selinux]),
      ...(bind.propagation === undefined ? [] : [bind.propagation]),
    ];
    return { bind: `${source}:${target}${modes.length > 0 ? `:${modes.join(',')}` : ''}` };
  }
  const options: NonNullable<MountBody['BindOptions']> = {};
  if (bind.propagation !== undefined) options.Propagation = bind.propagation;
  if (bind.selinux !== undefined) {
    warnings.push(
      `service "${serviceName}": ${where}.bind.selinux cannot be combined with create_host_path: false or recursive on a Docker engine and is ignored`,
    );
  }
  switch (bind.recursive) {
    case undefined:
    case 'enabled':
      break;
    case 'disabled':
      options.NonRecursive = true;
      break;
    case 'writable':
    case 'readonly':
      if (!apiAtLeast(input.apiVersion, '1.44')) {
        warnings.push(
          tooOld(serviceName, `${where}.bind.recursive: ${bind.recursive}`, '1.44', input.apiVersion),
        );
      } else if (bind.recursive === 'writable') options.ReadOnlyNonRecursive = true;
      else options.ReadOnlyForceRecursive = true;
      break;
    default:
      throw new ComposeError(`service "${serviceName}": unknown bind.recursive "${bind.recursive}"`, {
        keyPath: [...keyPath, 'bind', 'recursive'],
        hint: 'use enabled, disabled, writable or readonly',
      });
  }
  return {
    mount: {
      Type: 'bind',
      Source: source,
      Target: target,
      ...(volume.read_only === true ? { ReadOnly: true } : {}),
      ...(Object.keys(options).length > 0 ? { BindOptions: options } : {}),
    },
  };
}
