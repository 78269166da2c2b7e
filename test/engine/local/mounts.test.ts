import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { planMounts, privateFolder, releaseMounts } from '../../../src/engine/local/mounts.js';
import { fileTarget, writeSecretFiles } from '../../../src/engine/local/secrets.js';
import type { ContainerCreateRequest } from '../../../src/engine/types.js';
import type { Project, Service } from '../../../src/project/types.js';

let dir: string;
let containerDir: string;
let volumesRoot: string;
let shmRoot: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-mounts-'));
  containerDir = join(dir, 'state', 'containers', 'c1');
  volumesRoot = join(dir, 'state', 'volumes');
  shmRoot = join(dir, 'shm');
  await mkdir(containerDir, { recursive: true, mode: 0o700 });
  await mkdir(shmRoot);
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function request(
  service: Service,
  extra: { secrets?: Project['secrets']; configs?: Project['configs'] } = {},
): ContainerCreateRequest {
  return {
    project: { name: 'p', workingDir: dir, configFiles: [join(dir, 'compose.yaml')] },
    serviceName: 'web',
    service,
    networkNames: {},
    volumeNames: { data: 'p_data' },
    secrets: extra.secrets ?? {},
    configs: extra.configs ?? {},
    name: 'p-web-1',
    number: 1,
    oneoff: false,
    labels: {},
  };
}

const mountContext = () => ({ containerDir, volumesRoot, shmRoot });
const isDir = async (path: string) => (await stat(path)).isDirectory();

describe('planMounts', () => {
  it('creates the private folder, named volume, anonymous volume and tmpfs folders', async () => {
    await mkdir(join(dir, 'src'));
    const mounts = await planMounts(
      request({
        read_only: true,
        volumes: [
          { type: 'bind', source: join(dir, 'src'), target: '/app/src', read_only: true },
          { type: 'volume', source: 'data', target: '/data/' },
          { type: 'volume', target: '/cache' },
          { type: 'tmpfs', target: '/tmp', tmpfs: { mode: 0o1777 } },
        ],
        tmpfs: ['/run:size=64m,mode=0700'],
      }),
      mountContext(),
    );
    expect(mounts.map((m) => [m.kind, m.containerPath, m.readOnly])).toEqual([
      ['private', '/', true],
      ['bind', '/app/src', true],
      ['volume', '/data', false],
      ['anonymous', '/cache', false],
      ['tmpfs', '/tmp', false],
      ['tmpfs', '/run', false],
    ]);
    expect(mounts[0]!.hostPath).toBe(privateFolder(containerDir));
    expect(mounts[1]!.hostPath).toBe(join(dir, 'src'));
    expect(mounts[2]!.hostPath).toBe(join(volumesRoot, 'p_data', '_data'));
    expect(mounts[2]!.volumeName).toBe('p_data');
    expect(mounts[3]!.hostPath.startsWith(containerDir)).toBe(true);
    for (const mount of mounts) expect(await isDir(mount.hostPath)).toBe(true);
    expect(mounts[4]!.hostPath.startsWith(shmRoot)).toBe(true);
    expect((await stat(mounts[4]!.hostPath)).mode & 0o7777).toBe(0o1777);
    expect((await stat(mounts[5]!.hostPath)).mode & 0o777).toBe(0o700);

    await releaseMounts(mounts, containerDir);
    await expect(stat(mounts[4]!.hostPath)).rejects.toThrow(/ENOENT/);
    await expect(stat(mounts[5]!.hostPath)).rejects.toThrow(/ENOENT/);
    // Named volumes and binds survive the container.
    expect(await isDir(mounts[2]!.hostPath)).toBe(true);
    expect(await isDir(mounts[1]!.hostPath)).toBe(true);
  });

  it('keeps tmpfs in the container folder when there is no shm folder', async () => {
    const mounts = await planMounts(request({ tmpfs: ['/scratch'] }), {
      ...mountContext(),
      shmRoot: join(dir, 'no-such-shm'),
    });
    expect(mounts[1]!.hostPath.startsWith(containerDir)).toBe(true);
    expect(await isDir(mounts[1]!.hostPath)).toBe(true);
  });

  it('creates a missing bind source only with create_host_path', async () => {
    const source = join(dir, 'made', 'here');
    await planMounts(
      request({ volumes: [{ type: 'bind', source, target: '/x', bind: { create_host_path: true } }] }),
      mountContext(),
    );
    expect(await isDir(source)).toBe(true);

    const missing = join(dir, 'missing');
    await expect(
      planMounts(request({ volumes: [{ type: 'bind', source: missing, target: '/x' }] }), mountContext()),
    ).rejects.toThrow(
      `services.web.volumes[0]: service "web": bind mount source ${missing} does not exist (create it, or set bind.create_host_path: true`,
    );
  });

  it('resolves a relative bind source against the project folder', async () => {
    await mkdir(join(dir, 'rel'));
    const mounts = await planMounts(
      request({ volumes: [{ type: 'bind', source: 'rel', target: '/r' }] }),
      mountContext(),
    );
    expect(mounts[1]!.hostPath).toBe(join(dir, 'rel'));
  });

  it('mounts a subpath of a named volume that exists', async () => {
    await mkdir(join(volumesRoot, 'p_data', '_data', 'sub'), { recursive: true });
    const mounts = await planMounts(
      request({ volumes: [{ type: 'volume', source: 'data', target: '/d', volume: { subpath: 'sub' } }] }),
      mountContext(),
    );
    expect(mounts[1]!.hostPath).toBe(join(volumesRoot, 'p_data', '_data', 'sub'));
    await expect(
      planMounts(
        request({ volumes: [{ type: 'volume', source: 'data', target: '/d', volume: { subpath: 'nope' } }] }),
        mountContext(),
      ),
    ).rejects.toThrow(/subpath "nope" does not exist in volume "p_data"/);
    await expect(
      planMounts(
        request({
          volumes: [{ type: 'volume', source: 'data', target: '/d', volume: { subpath: '../..' } }],
        }),
        mountContext(),
      ),
    ).rejects.toThrow(/leaves the volume/);
  });

  it.each<[string, Service, RegExp]>([
    [
      'undefined volume',
      { volumes: [{ type: 'volume', source: 'other', target: '/o' }] },
      /service "web" uses undefined volume "other" \(declare it under the top-level volumes: key\)/,
    ],
    [
      'duplicate target',
      {
        volumes: [
          { type: 'volume', target: '/d' },
          { type: 'tmpfs', target: '/d/' },
        ],
      },
      /services\.web\.volumes\[1\]: service "web": duplicate mount point \/d/,
    ],
    [
      'unsupported type',
      { volumes: [{ type: 'npipe', source: 'x', target: '/n' }] },
      /volume type "npipe" is not supported by berth's local engine/,
    ],
  ])('error: %s', async (_name, service, message) => {
    await expect(planMounts(request(service), mountContext())).rejects.toThrow(message);
  });
});

describe('writeSecretFiles', () => {
  const secretContext = () => ({ containerDir, hostEnv: { TOKEN: 's3cret' }, isRoot: false });

  it('writes file, environment and content sources with their modes', async () => {
    await writeFile(join(dir, 'db.txt'), 'from-file');
    const mounts = await writeSecretFiles(
      request(
        {
          secrets: [
            { source: 'db' },
            { source: 'token', target: 'api_token', mode: 0o400 },
            { source: 'inline', target: '/etc/inline.txt', mode: 0o755 },
          ],
          configs: [{ source: 'app' }, { source: 'nginx', target: '/etc/nginx/nginx.conf', mode: 0o640 }],
        },
        {
          secrets: {
            db: { name: 'p_db', file: join(dir, 'db.txt') },
            token: { name: 'p_token', environment: 'TOKEN' },
            inline: { name: 'p_inline', content: 'inline-secret' },
          },
          configs: {
            app: { name: 'p_app', content: 'key: value\n' },
            nginx: { name: 'p_nginx', content: 'events {}' },
          },
        },
      ),
      secretContext(),
    );
    const byPath = Object.fromEntries(mounts.map((m) => [m.containerPath, m]));
    expect(Object.keys(byPath)).toEqual([
      '/run/secrets',
      '/run/secrets/db',
      '/run/secrets/api_token',
      '/etc/inline.txt',
      '/app',
      '/etc/nginx/nginx.conf',
    ]);
    expect(byPath['/run/secrets']!.hostPath).toBe(join(containerDir, 'secrets'));
    expect(byPath['/run/secrets/db']!.hostPath).toBe(join(containerDir, 'secrets', 'db'));
    expect(byPath['/app']!.hostPath).toBe(join(containerDir, 'files', 'app'));
    expect(mounts.every((m) => m.readOnly)).toBe(true);

    const content = async (path: string) => readFile(byPath[path]!.hostPath, 'utf8');
    const mode = async (path: string) => (await stat(byPath[path]!.hostPath)).mode & 0o7777;
    expect(await content('/run/secrets/db')).toBe('from-file');
    expect(await content('/run/secrets/api_token')).toBe('s3cret');
    expect(await content('/etc/inline.txt')).toBe('inline-secret');
    expect(await content('/app')).toBe('key: value\n');
    expect(await content('/etc/nginx/nginx.conf')).toBe('events {}');
    // Default 0400 for secrets, 0444 for configs; writable bits dropped; the executable bit kept.
    expect(await mode('/run/secrets/db')).toBe(0o400);
    expect(await mode('/run/secrets/api_token')).toBe(0o400);
    expect(await mode('/etc/inline.txt')).toBe(0o555);
    expect(await mode('/app')).toBe(0o444);
    expect(await mode('/etc/nginx/nginx.conf')).toBe(0o440);
  });

  it('mounts a folder source as is', async () => {
    await mkdir(join(dir, 'certs'));
    const mounts = await writeSecretFiles(
      request(
        { secrets: [{ source: 'certs' }] },
        { secrets: { certs: { name: 'p_certs', file: join(dir, 'certs') } } },
      ),
      secretContext(),
    );
    expect(mounts[1]).toEqual({
      kind: 'secret',
      containerPath: '/run/secrets/certs',
      hostPath: join(dir, 'certs'),
      readOnly: true,
    });
  });

  it('computes default targets', () => {
    expect(fileTarget('secret', { source: 'a' })).toBe('/run/secrets/a');
    expect(fileTarget('secret', { source: 'a', target: 'sub/b' })).toBe('/run/secrets/sub/b');
    expect(fileTarget('secret', { source: 'a', target: '/etc/a' })).toBe('/etc/a');
    expect(fileTarget('config', { source: 'a' })).toBe('/a');
    expect(fileTarget('config', { source: 'a', target: 'etc/a' })).toBe('/etc/a');
  });

  it.each<[string, Service, Pick<Project, 'secrets' | 'configs'>, RegExp]>([
    [
      'missing file',
      { secrets: [{ source: 's' }] },
      { secrets: { s: { name: 'p_s', file: '/nonexistent/berth/secret.txt' } }, configs: {} },
      /service "web": secret "s": file \/nonexistent\/berth\/secret.txt does not exist \(create the file/,
    ],
    [
      'unset environment variable',
      { secrets: [{ source: 's' }] },
      { secrets: { s: { name: 'p_s', environment: 'BERTH_UNSET_VARIABLE' } }, configs: {} },
      /secrets\.s\.environment: service "web": secret "s": environment variable BERTH_UNSET_VARIABLE is not set/,
    ],
    [
      'undefined secret',
      { secrets: [{ source: 'nope' }] },
      { secrets: {}, configs: {} },
      /service "web" refers to undefined secret "nope"/,
    ],
    [
      'external config',
      { configs: [{ source: 'c' }] },
      { secrets: {}, configs: { c: { name: 'c', external: true } } },
      /config "c" is external, and berth's local engine has no config store/,
    ],
    [
      'non-numeric uid',
      { secrets: [{ source: 'a', uid: 'alice' }] },
      { secrets: { a: { name: 'a', content: '1' } }, configs: {} },
      /services\.web\.secrets\[0\]\.uid: service "web": secret "a" has a non-numeric uid "alice"/,
    ],
    [
      'two files at one target',
      {
        secrets: [
          { source: 'a', target: 'x' },
          { source: 'b', target: 'x' },
        ],
      },
      { secrets: { a: { name: 'a', content: '1' }, b: { name: 'b', content: '2' } }, configs: {} },
      /two secrets have the target \/run\/secrets\/x/,
    ],
  ])('error: %s', async (_name, service, definitions, message) => {
    await expect(writeSecretFiles(request(service, definitions), secretContext())).rejects.toThrow(message);
  });
});
