import { describe, expect, it } from 'vitest';

import { mapArgv } from '../../../src/engine/local/command-line.js';
import {
  cleanContainerPath,
  findMount,
  mapArgument,
  mapContainerPath,
  mapEnvironmentValue,
  mapPathsInScript,
} from '../../../src/engine/local/path-mapping.js';
import type { MountPlan } from '../../../src/engine/local/types.js';

const mounts: MountPlan[] = [
  { kind: 'private', containerPath: '/', hostPath: '/state/c1/rootfs', readOnly: false },
  { kind: 'bind', containerPath: '/app', hostPath: '/home/me/project', readOnly: false },
  { kind: 'volume', containerPath: '/app/data', hostPath: '/state/volumes/p_data/_data', readOnly: false },
  { kind: 'secret', containerPath: '/run/secrets', hostPath: '/state/c1/secrets', readOnly: true },
  { kind: 'secret', containerPath: '/run/secrets/db', hostPath: '/state/c1/secrets/db', readOnly: true },
  {
    kind: 'config',
    containerPath: '/etc/app.conf',
    hostPath: '/state/c1/files/etc/app.conf',
    readOnly: true,
  },
];

describe('mapContainerPath', () => {
  it.each([
    ['/', '/state/c1/rootfs'],
    ['/app', '/home/me/project'],
    ['/app/', '/home/me/project'],
    ['/app/src/index.js', '/home/me/project/src/index.js'],
    ['/app/data', '/state/volumes/p_data/_data'],
    ['/app/data/x/y', '/state/volumes/p_data/_data/x/y'],
    ['/app/database', '/home/me/project/database'],
    ['/apple', '/state/c1/rootfs/apple'],
    ['/run/secrets/db', '/state/c1/secrets/db'],
    ['/run/secrets/other', '/state/c1/secrets/other'],
    ['/etc/app.conf', '/state/c1/files/etc/app.conf'],
    ['/etc/passwd', '/state/c1/rootfs/etc/passwd'],
    ['/app/./src/../lib', '/home/me/project/lib'],
    ['relative/dir', '/state/c1/rootfs/relative/dir'],
  ])('%s -> %s', (path, expected) => {
    expect(mapContainerPath(path, mounts)).toBe(expected);
  });

  it('leaves a path unchanged when no mount covers it and there is no private folder', () => {
    expect(mapContainerPath('/usr/bin/env', mounts.slice(1))).toBe('/usr/bin/env');
  });

  it('finds the longest covering mount', () => {
    expect(findMount('/app/data/file', mounts)?.kind).toBe('volume');
    expect(findMount('/opt', mounts)?.kind).toBe('private');
  });

  it('cleans container paths like Go path.Clean', () => {
    expect(cleanContainerPath('/data/')).toBe('/data');
    expect(cleanContainerPath('data//x/')).toBe('/data/x');
    expect(cleanContainerPath('/')).toBe('/');
  });
});

describe('mapArgument (explicit mounts only)', () => {
  it.each([
    ['/app/server.js', '/home/me/project/server.js'],
    ['/app/data/', '/state/volumes/p_data/_data/'],
    ['--config=/etc/app.conf', '--config=/state/c1/files/etc/app.conf'],
    ['-c=/app/x', '-c=/home/me/project/x'],
    ['/bin/sh', '/bin/sh'],
    ['/usr/bin/env', '/usr/bin/env'],
    ['/usr/local/bin/node', '/usr/local/bin/node'],
    ['server.js', 'server.js'],
    ['--port=8080', '--port=8080'],
    ['--dir=/opt/x', '--dir=/opt/x'],
    ['//app/x', '//app/x'],
    ['/app/with space', '/app/with space'],
    ['http://host/app', 'http://host/app'],
  ])('%s -> %s', (argument, expected) => {
    expect(mapArgument(argument, mounts)).toBe(expected);
  });
});

describe('mapEnvironmentValue', () => {
  it.each([
    ['/app/data', '/state/volumes/p_data/_data'],
    ['/app/node_modules/.bin:/usr/bin', '/home/me/project/node_modules/.bin:/usr/bin'],
    ['/opt/thing', '/opt/thing'],
    ['postgres://db:5432/app', 'postgres://db:5432/app'],
    ['hello', 'hello'],
    ['', ''],
  ])('%s -> %s', (value, expected) => {
    expect(mapEnvironmentValue(value, mounts)).toBe(expected);
  });
});

describe('mapPathsInScript', () => {
  it.each([
    ['cat /run/secrets/db', 'cat /state/c1/secrets/db'],
    ['node /app/server.js && ls /tmp', 'node /home/me/project/server.js && ls /tmp'],
    ['test -f "/app/data/ready"', 'test -f "/state/volumes/p_data/_data/ready"'],
    ['X=/app/x run', 'X=/home/me/project/x run'],
    ['curl -f http://localhost/app', 'curl -f http://localhost/app'],
    ['cat /app/data/$FILE', 'cat /state/volumes/p_data/_data/$FILE'],
    ['echo /bin/sh', 'echo /bin/sh'],
  ])('%s -> %s', (script, expected) => {
    expect(mapPathsInScript(script, mounts)).toBe(expected);
  });
});

describe('mapArgv', () => {
  it('maps arguments and the script of sh -c, never a host binary', () => {
    expect(mapArgv(['/bin/sh', '-c', 'cat /run/secrets/db > /app/out'], mounts)).toEqual([
      '/bin/sh',
      '-c',
      'cat /state/c1/secrets/db > /home/me/project/out',
    ]);
    expect(mapArgv(['node', '/app/server.js', '--data=/app/data'], mounts)).toEqual([
      'node',
      '/home/me/project/server.js',
      '--data=/state/volumes/p_data/_data',
    ]);
    expect(mapArgv(['/app/bin/start', '/opt/x'], mounts)).toEqual(['/home/me/project/bin/start', '/opt/x']);
  });
});
