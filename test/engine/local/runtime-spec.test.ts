import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import {
  buildRuntimeSpec,
  DEFAULT_PATH,
  normalizeSignal,
  planRuntimeSpec,
  portBindings,
  restartPolicy,
  type SpecContext,
} from '../../../src/engine/local/runtime-spec.js';
import { resolveUser } from '../../../src/engine/local/user.js';
import type { ContainerCreateRequest } from '../../../src/engine/types.js';
import { ComposeError } from '../../../src/project/errors.js';
import { loadProject } from '../../../src/project/load.js';
import type { Project, Service } from '../../../src/project/types.js';

const run = promisify(execFile);

let dir: string;
let containerDir: string;
let context: SpecContext;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-spec-'));
  containerDir = join(dir, 'state', 'projects', 'p', 'containers', 'c1');
  await mkdir(containerDir, { recursive: true, mode: 0o700 });
  await mkdir(join(dir, 'shm'));
  await writeFile(
    join(dir, 'passwd'),
    'root:x:0:0:root:/root:/bin/sh\nalice:x:1500:1600:Alice:/home/alice:/bin/sh\n',
  );
  await writeFile(join(dir, 'group'), 'root:x:0:\nstaff:x:1700:\n');
  context = {
    containerDir,
    volumesRoot: join(dir, 'state', 'volumes'),
    hostEnv: {
      PATH: '/usr/local/bin:/usr/bin:/bin',
      HOME: '/home/me',
      LANG: 'C.UTF-8',
      LC_ALL: 'C.UTF-8',
      TERM: 'xterm-256color',
      SECRET_OF_BERTH: 'not for services',
      DB_PASSWORD: 'hunter2',
    },
    hostname: 'p-web-1',
    replica: 1,
    isRoot: false,
    linkEnvironment: {},
    userFiles: { passwd: join(dir, 'passwd'), group: join(dir, 'group') },
    shmRoot: join(dir, 'shm'),
  };
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function request(
  service: Service,
  extra: Partial<
    Pick<ContainerCreateRequest, 'environment' | 'command' | 'entrypoint' | 'workingDir' | 'user'>
  > & {
    secrets?: Project['secrets'];
  } = {},
): ContainerCreateRequest {
  const { secrets, ...overrides } = extra;
  return {
    project: { name: 'p', workingDir: dir, configFiles: [join(dir, 'compose.yaml')] },
    serviceName: 'web',
    service,
    networkNames: {},
    volumeNames: { data: 'p_data' },
    secrets: secrets ?? {},
    configs: {},
    name: 'p-web-1',
    number: 1,
    oneoff: false,
    labels: {},
    ...overrides,
  };
}

async function specOf(service: Service, extra: Parameters<typeof request>[1] = {}) {
  return (await planRuntimeSpec(request(service, extra), context)).spec;
}

async function failure(promise: Promise<unknown>): Promise<ComposeError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ComposeError);
    return error as ComposeError;
  }
  throw new Error('expected a ComposeError');
}

async function writeDockerfile(text: string): Promise<string> {
  const context = join(dir, 'app');
  await mkdir(context, { recursive: true });
  await writeFile(join(context, 'Dockerfile'), text);
  return context;
}

describe('command', () => {
  it('runs entrypoint + command, mapping container paths through mounts', async () => {
    await mkdir(join(dir, 'src'));
    const spec = await specOf({
      entrypoint: ['node'],
      command: ['/app/server.js', '--data=/data', 'it is'],
      volumes: [
        { type: 'bind', source: join(dir, 'src'), target: '/app' },
        { type: 'volume', source: 'data', target: '/data' },
      ],
    });
    expect(spec.argv).toEqual([
      'node',
      join(dir, 'src', 'server.js'),
      `--data=${join(context.volumesRoot, 'p_data', '_data')}`,
      'it is',
    ]);
    expect(spec.command).toBe("node /app/server.js --data=/data 'it is'");
  });

  it.each<[string, string, Service, string[]]>([
    ['CMD only', 'FROM node\nCMD ["node", "a.js"]', {}, ['node', 'a.js']],
    ['ENTRYPOINT + CMD', 'FROM node\nENTRYPOINT ["node"]\nCMD ["a.js"]', {}, ['node', 'a.js']],
    [
      'command replaces CMD',
      'FROM node\nENTRYPOINT ["node"]\nCMD ["a.js"]',
      { command: ['b.js'] },
      ['node', 'b.js'],
    ],
    [
      'entrypoint drops the image CMD',
      'FROM node\nENTRYPOINT ["node"]\nCMD ["a.js"]',
      { entrypoint: ['deno'] },
      ['deno'],
    ],
    [
      'empty entrypoint keeps the image CMD',
      'FROM node\nENTRYPOINT ["/entry.sh"]\nCMD ["node", "a.js"]',
      { entrypoint: [] },
      ['node', 'a.js'],
    ],
    [
      'null entrypoint clears too',
      'FROM node\nENTRYPOINT ["/entry.sh"]\nCMD ["node", "a.js"]',
      { entrypoint: null },
      ['node', 'a.js'],
    ],
    ['shell form', 'FROM node\nCMD node a.js', {}, ['/bin/sh', '-c', 'node a.js']],
  ])('Dockerfile defaults: %s', async (_name, dockerfile, service, argv) => {
    const build = await writeDockerfile(dockerfile);
    const spec = await specOf({ build: { context: build, dockerfile: 'Dockerfile' }, ...service });
    expect(spec.argv).toEqual(argv);
    expect(spec.image).toBe('p-web');
  });

  it('uses the overrides of run (command, entrypoint)', async () => {
    const spec = await specOf({ command: ['a'] }, { entrypoint: ['sh', '-c'], command: ['echo hi'] });
    expect(spec.argv).toEqual(['sh', '-c', 'echo hi']);
  });

  it('does not fetch a remote build context', async () => {
    const { spec, warnings } = await planRuntimeSpec(
      request({ build: { context: 'https://github.com/example/app.git#main' }, command: ['x'] }),
      context,
    );
    expect(spec.argv).toEqual(['x']);
    expect(warnings).toEqual([
      'service "web": berth does not read the Dockerfile of the remote build context https://github.com/example/app.git#main',
    ]);
  });

  it('reads the target stage', async () => {
    const build = await writeDockerfile('FROM a AS dev\nCMD ["dev"]\nFROM a AS prod\nCMD ["prod"]');
    expect((await specOf({ build: { context: build, target: 'dev' } })).argv).toEqual(['dev']);
  });

  it.each<[string, () => Promise<Service>, string]>([
    [
      'nothing at all',
      async () => ({}),
      'service "web" has no command to run (berth runs services without images, so give it a command or an entrypoint, or a build context whose Dockerfile has CMD or ENTRYPOINT)',
    ],
    [
      'an image only',
      async () => ({ image: 'postgres:16' }),
      'service "web" has no command to run: berth cannot look inside image "postgres:16" (berth runs services without images',
    ],
    [
      'a Dockerfile without CMD',
      async () => ({ build: { context: await writeDockerfile('FROM node\nWORKDIR /app') } }),
      'service "web" has no command to run: its Dockerfile Dockerfile has no CMD or ENTRYPOINT (berth runs',
    ],
    [
      'an empty entrypoint and no command',
      async () => ({ image: 'x', entrypoint: [], command: [] }),
      'service "web" has no command to run',
    ],
  ])('error: %s', async (_name, service, message) => {
    const error = await failure(specOf(await service()));
    expect(error.message.startsWith(message)).toBe(true);
  });
});

describe('environment', () => {
  it('layers host basics, HOSTNAME, links, Dockerfile ENV, the service, run -e and berth variables', async () => {
    const build = await writeDockerfile(
      'FROM node\nENV NODE_ENV=production FROM_IMAGE=yes DATA_DIR=/data\nENV PATH=/app/node_modules/.bin:$PATH\nCMD ["node", "a.js"]',
    );
    await mkdir(join(dir, 'src'));
    context.linkEnvironment = { DB_PORT: 'tcp://127.0.0.1:5432', NODE_ENV: 'from-link' };
    context.listenPort = 41234;
    context.replica = 3;
    const spec = await specOf(
      {
        build: { context: build },
        environment: {
          NODE_ENV: 'development',
          UNSET: null,
          CONFIG: '/app/config.json',
          URL: 'http://x/app',
        },
        volumes: [
          { type: 'bind', source: join(dir, 'src'), target: '/app' },
          { type: 'volume', source: 'data', target: '/data' },
        ],
      },
      { environment: { EXTRA: '1', HOSTNAME: 'custom' } },
    );
    expect(spec.env).toEqual({
      PATH: `${join(dir, 'src', 'node_modules', '.bin')}:/usr/local/bin:/usr/bin:/bin`,
      HOME: '/home/me',
      LANG: 'C.UTF-8',
      LC_ALL: 'C.UTF-8',
      TERM: 'xterm-256color',
      HOSTNAME: 'custom',
      DB_PORT: 'tcp://127.0.0.1:5432',
      NODE_ENV: 'development',
      FROM_IMAGE: 'yes',
      DATA_DIR: join(context.volumesRoot, 'p_data', '_data'),
      CONFIG: join(dir, 'src', 'config.json'),
      URL: 'http://x/app',
      EXTRA: '1',
      BERTH_REPLICA: '3',
      PORT: '41234',
    });
    expect(spec.listenPort).toBe(41234);
  });

  it('gives PATH a default, HOSTNAME from the context, TERM with a tty', async () => {
    context.hostEnv = {};
    const spec = await specOf({ command: ['x'], tty: true, stdin_open: true });
    expect(spec.env).toEqual({ PATH: DEFAULT_PATH, HOSTNAME: 'p-web-1', TERM: 'xterm', BERTH_REPLICA: '1' });
    expect(spec.tty).toBe(true);
    expect(spec.stdinOpen).toBe(true);
  });
});

describe('working directory', () => {
  it("defaults to the private folder's root, as Docker's default is /", async () => {
    const spec = await specOf({ command: ['x'] });
    expect(spec.cwd).toBe(join(containerDir, 'rootfs'));
    expect((await stat(spec.cwd)).isDirectory()).toBe(true);
    expect(spec.mounts[0]).toMatchObject({ kind: 'private', containerPath: '/' });
  });

  it('creates a working_dir no mount covers in the private folder', async () => {
    const spec = await specOf({ command: ['x'], working_dir: '/srv/app' });
    expect(spec.cwd).toBe(join(containerDir, 'rootfs', 'srv', 'app'));
    expect((await stat(spec.cwd)).isDirectory()).toBe(true);
  });

  it('maps a working_dir under a bind mount, and follows the Dockerfile WORKDIR', async () => {
    await mkdir(join(dir, 'src'));
    const bind = { type: 'bind' as const, source: join(dir, 'src'), target: '/app' };
    expect((await specOf({ command: ['x'], working_dir: '/app', volumes: [bind] })).cwd).toBe(
      join(dir, 'src'),
    );
    const build = await writeDockerfile('FROM node\nWORKDIR /app\nWORKDIR lib\nCMD ["x"]');
    expect((await specOf({ build: { context: build }, volumes: [bind] })).cwd).toBe(join(dir, 'src', 'lib'));
    expect((await specOf({ command: ['x'], volumes: [bind] }, { workingDir: '/app' })).cwd).toBe(
      join(dir, 'src'),
    );
  });
});

describe('a real process', () => {
  it('runs with the spec: finds node through PATH, reads its secret and volume through mapped paths', async () => {
    await mkdir(join(dir, 'src'));
    await writeFile(
      join(dir, 'src', 'main.mjs'),
      [
        "import { readFileSync, writeFileSync } from 'node:fs';",
        "const secret = readFileSync(process.env.SECRET_FILE, 'utf8');",
        "writeFileSync(process.argv[2] + '/out.txt', secret + ' ' + process.env.BERTH_REPLICA);",
        'console.log(process.cwd());',
      ].join('\n'),
    );
    context.hostEnv = { ...context.hostEnv, PATH: `${join(process.execPath, '..')}:/usr/bin:/bin` };
    const spec = await specOf(
      {
        command: ['node', '/app/main.mjs', '/data'],
        working_dir: '/app',
        environment: { SECRET_FILE: '/run/secrets/db' },
        secrets: [{ source: 'db' }],
        volumes: [
          { type: 'bind', source: join(dir, 'src'), target: '/app', read_only: true },
          { type: 'volume', source: 'data', target: '/data' },
        ],
      },
      { secrets: { db: { name: 'p_db', environment: 'DB_PASSWORD' } } },
    );
    const { stdout } = await run(spec.argv[0]!, spec.argv.slice(1), {
      cwd: spec.cwd,
      env: spec.env,
      timeout: 15_000,
    });
    expect(stdout.trim()).toBe(join(dir, 'src'));
    const out = await import('node:fs/promises').then((fs) =>
      fs.readFile(join(context.volumesRoot, 'p_data', '_data', 'out.txt'), 'utf8'),
    );
    expect(out).toBe('hunter2 1');
  });
});

describe('user', () => {
  it('is ignored with a warning when berth is not root', async () => {
    const messages: string[] = [];
    context.onWarning = (message) => messages.push(message);
    const spec = await buildRuntimeSpec(request({ command: ['x'], user: '1000:1000' }), context);
    expect(spec.uid).toBeUndefined();
    expect(messages).toEqual([
      'service "web": user "1000:1000" is ignored because berth is not running as root; the service runs as the current user',
    ]);
  });

  it.each<[string, number, number]>([
    ['1000', 1000, 0],
    ['1000:1000', 1000, 1000],
    ['alice', 1500, 1600],
    ['alice:staff', 1500, 1700],
    ['1500:staff', 1500, 1700],
    ['alice:42', 1500, 42],
  ])('resolves %s -> uid %i gid %i', async (user, uid, gid) => {
    const resolved = await resolveUser(user, 'web', context.userFiles);
    expect([resolved.uid, resolved.gid]).toEqual([uid, gid]);
  });

  // Giving folders away needs root: these run only when the tests do.
  const asRoot = it.runIf(process.getuid?.() === 0);

  asRoot('as root, numeric ids apply', async () => {
    context.isRoot = true;
    const spec = await specOf({ command: ['x'], user: '1000:1001' });
    expect([spec.uid, spec.gid]).toEqual([1000, 1001]);
  });

  asRoot('as root, a named user gets its HOME and the folders berth creates', async () => {
    context.isRoot = true;
    const spec = await specOf({ command: ['x'], user: 'alice', working_dir: '/work/dir' });
    expect(spec.env).toMatchObject({ HOME: '/home/alice', USER: 'alice', LOGNAME: 'alice' });
    const info = await stat(spec.cwd);
    expect([info.uid, info.gid]).toEqual([1500, 1600]);
  });

  asRoot('as root, the Dockerfile USER applies', async () => {
    context.isRoot = true;
    const build = await writeDockerfile('FROM node\nUSER alice\nCMD ["x"]');
    const spec = await specOf({ build: { context: build } });
    expect(spec.uid).toBe(1500);
  });

  it.each([
    ['bob', /services\.web\.user: service "web": user "bob" does not exist on this machine/],
    ['alice:nogroup', /service "web": group "nogroup" does not exist on this machine/],
    [':1', /service "web": invalid user ":1"/],
  ])('as root, %s is an error', async (user, message) => {
    context.isRoot = true;
    expect((await failure(specOf({ command: ['x'], user }))).message).toMatch(message);
  });
});

describe('stop, restart, logging, ports, image', () => {
  it('has the defaults', async () => {
    const spec = await specOf({ command: ['x'], image: 'nginx' });
    expect(spec).toMatchObject({
      stopSignal: 'SIGTERM',
      stopGracePeriodMs: 10_000,
      restart: { policy: 'no' },
      logging: { maxFiles: 1 },
      ports: [],
      tty: false,
      stdinOpen: false,
      image: 'nginx',
    });
    expect(spec.healthcheck).toBeUndefined();
    expect(spec.logging.maxSizeBytes).toBeUndefined();
  });

  it('reads stop_signal, stop_grace_period, STOPSIGNAL', async () => {
    const spec = await specOf({ command: ['x'], stop_signal: 'int', stop_grace_period: '1m30s' });
    expect([spec.stopSignal, spec.stopGracePeriodMs]).toEqual(['SIGINT', 90_000]);
    const build = await writeDockerfile('FROM x\nSTOPSIGNAL SIGQUIT\nCMD ["x"]');
    expect((await specOf({ build: { context: build } })).stopSignal).toBe('SIGQUIT');
    expect(normalizeSignal('9', 'web')).toBe('SIGKILL');
    expect(() => normalizeSignal('SIGNOPE', 'web')).toThrow(/unknown stop signal "SIGNOPE"/);
    expect((await failure(specOf({ command: ['x'], stop_grace_period: 'soon' }))).message).toMatch(
      /services\.web\.stop_grace_period: invalid duration "soon"/,
    );
  });

  it.each<[string, Service, { policy: string; maxRetries?: number }]>([
    ['none', {}, { policy: 'no' }],
    ['no', { restart: 'no' }, { policy: 'no' }],
    ['always', { restart: 'always' }, { policy: 'always' }],
    ['unless-stopped', { restart: 'unless-stopped' }, { policy: 'unless-stopped' }],
    ['on-failure', { restart: 'on-failure' }, { policy: 'on-failure' }],
    ['on-failure:3', { restart: 'on-failure:3' }, { policy: 'on-failure', maxRetries: 3 }],
    ['deploy any', { deploy: { restart_policy: { condition: 'any' } } }, { policy: 'always' }],
    ['deploy none', { deploy: { restart_policy: { condition: 'none' } } }, { policy: 'no' }],
    ['deploy without condition', { deploy: { restart_policy: {} } }, { policy: 'no' }],
    [
      'deploy on-failure wins over restart',
      { restart: 'always', deploy: { restart_policy: { condition: 'on-failure', max_attempts: 5 } } },
      { policy: 'on-failure', maxRetries: 5 },
    ],
  ])('restart: %s', (_name, service, expected) => {
    expect(restartPolicy(service, 'web')).toEqual(expected);
  });

  it('rejects an unknown restart policy', () => {
    expect(() => restartPolicy({ restart: 'sometimes' }, 'web')).toThrow(
      'services.web.restart: service "web": unknown restart policy "sometimes" (use no, always, on-failure[:max-retries] or unless-stopped)',
    );
  });

  it.each<[string, Service['logging'], { maxSizeBytes?: number; maxFiles: number }]>([
    ['max-size', { options: { 'max-size': '10m' } }, { maxSizeBytes: 10 * 1024 * 1024, maxFiles: 1 }],
    [
      'max-size and max-file',
      { driver: 'json-file', options: { 'max-size': '1k', 'max-file': '3' } },
      { maxSizeBytes: 1024, maxFiles: 3 },
    ],
    ['local driver defaults', { driver: 'local' }, { maxSizeBytes: 20 * 1024 * 1024, maxFiles: 5 }],
    ['unlimited', { options: { 'max-size': '-1' } }, { maxFiles: 1 }],
  ])('logging: %s', async (_name, logging, expected) => {
    expect((await specOf({ command: ['x'], logging })).logging).toEqual(expected);
  });

  it('warns about other log drivers and rejects bad sizes', async () => {
    const { warnings } = await planRuntimeSpec(
      request({ command: ['x'], logging: { driver: 'syslog' } }),
      context,
    );
    expect(warnings).toEqual([
      'service "web": logging driver "syslog" is not supported by berth\'s local engine; logs are kept as JSON lines',
    ]);
    expect(
      (await failure(specOf({ command: ['x'], logging: { options: { 'max-size': 'big' } } }))).message,
    ).toMatch(/invalid log max-size "big"/);
    expect(
      (await failure(specOf({ command: ['x'], logging: { options: { 'max-file': '0' } } }))).message,
    ).toMatch(/invalid log max-file "0"/);
  });

  it('turns ports into bindings', () => {
    expect(
      portBindings(
        {
          ports: [
            { target: 80, published: '8080', protocol: 'tcp', mode: 'ingress' },
            { target: 53, host_ip: '127.0.0.1', protocol: 'udp', mode: 'host' },
            { target: 3000, published: '3000-3005', protocol: 'tcp', mode: 'ingress' },
          ],
        },
        'web',
      ),
    ).toEqual([
      { hostIp: '', hostPort: 8080, containerPort: 80, protocol: 'tcp', mode: 'ingress' },
      { hostIp: '127.0.0.1', hostPort: 0, containerPort: 53, protocol: 'udp', mode: 'host' },
      {
        hostIp: '',
        hostPort: 3000,
        hostPortEnd: 3005,
        containerPort: 3000,
        protocol: 'tcp',
        mode: 'ingress',
      },
    ]);
    expect(() => portBindings({ ports: [{ target: 1, protocol: 'sctp', mode: 'ingress' }] }, 'web')).toThrow(
      /services\.web\.ports\[0\]: sctp ports are not supported without Docker/,
    );
  });
});

describe('healthcheck', () => {
  it('has Docker defaults and maps paths', async () => {
    await mkdir(join(dir, 'src'));
    const spec = await specOf({
      command: ['x'],
      volumes: [{ type: 'bind', source: join(dir, 'src'), target: '/app' }],
      healthcheck: { test: ['CMD-SHELL', 'test -f /app/ready'] },
    });
    expect(spec.healthcheck).toEqual({
      test: ['CMD-SHELL', `test -f ${join(dir, 'src', 'ready')}`],
      intervalMs: 30_000,
      timeoutMs: 30_000,
      retries: 3,
      startPeriodMs: 0,
      startIntervalMs: 5_000,
    });
  });

  it('reads its timings and CMD form', async () => {
    const spec = await specOf({
      command: ['x'],
      healthcheck: {
        test: ['CMD', 'node', 'check.js'],
        interval: '2s',
        timeout: '500ms',
        retries: 5,
        start_period: '10s',
        start_interval: '1s',
      },
    });
    expect(spec.healthcheck).toEqual({
      test: ['CMD', 'node', 'check.js'],
      intervalMs: 2000,
      timeoutMs: 500,
      retries: 5,
      startPeriodMs: 10_000,
      startIntervalMs: 1000,
    });
  });

  it('is off with disable, NONE, or nothing; merges over the Dockerfile HEALTHCHECK', async () => {
    expect(
      (await specOf({ command: ['x'], healthcheck: { test: ['CMD', 'x'], disable: true } })).healthcheck,
    ).toBeUndefined();
    expect((await specOf({ command: ['x'], healthcheck: { test: ['NONE'] } })).healthcheck).toBeUndefined();
    const build = await writeDockerfile(
      'FROM x\nHEALTHCHECK --interval=5s --retries=2 CMD ["probe"]\nCMD ["x"]',
    );
    const merged = await specOf({ build: { context: build }, healthcheck: { interval: '1s' } });
    expect(merged.healthcheck).toMatchObject({ test: ['CMD', 'probe'], intervalMs: 1000, retries: 2 });
    const none = await writeDockerfile('FROM x\nHEALTHCHECK NONE\nCMD ["x"]');
    expect((await specOf({ build: { context: none } })).healthcheck).toBeUndefined();
  });

  it('rejects a test that does not start with CMD, CMD-SHELL or NONE', async () => {
    const error = await failure(specOf({ command: ['x'], healthcheck: { test: ['curl', 'x'] } }));
    expect(error.message).toMatch(
      /services\.web\.healthcheck\.test: service "web": healthcheck test must start with CMD/,
    );
  });
});

describe('mounts in the spec', () => {
  it('lists volumes, secrets and the private folder; read_only is recorded with a warning', async () => {
    const { spec, warnings } = await planRuntimeSpec(
      request(
        {
          command: ['x'],
          read_only: true,
          volumes: [{ type: 'volume', target: '/cache' }],
          secrets: [{ source: 's' }],
        },
        { secrets: { s: { name: 'p_s', content: 'x' } } },
      ),
      context,
    );
    expect(spec.mounts.map((m) => [m.kind, m.containerPath, m.readOnly])).toEqual([
      ['private', '/', true],
      ['anonymous', '/cache', false],
      ['secret', '/run/secrets', true],
      ['secret', '/run/secrets/s', true],
    ]);
    expect(warnings).toEqual([
      'service "web": read_only is recorded but not enforced by berth\'s local engine',
    ]);
  });

  it('creates nothing on disk when the definition is bad', async () => {
    await failure(
      specOf({
        command: ['x'],
        stop_signal: 'SIGNOPE',
        volumes: [{ type: 'volume', source: 'data', target: '/data' }],
        secrets: [{ source: 's' }],
      }),
    );
    const { readdir } = await import('node:fs/promises');
    expect(await readdir(containerDir)).toEqual([]);
    await expect(stat(context.volumesRoot)).rejects.toThrow(/ENOENT/);
  });

  it('rejects a secret mounted where a volume is', async () => {
    const error = await failure(
      specOf(
        {
          command: ['x'],
          volumes: [{ type: 'volume', target: '/run/secrets/s' }],
          secrets: [{ source: 's' }],
        },
        { secrets: { s: { name: 'p_s', content: 'x' } } },
      ),
    );
    expect(error.message).toMatch(/\/run\/secrets\/s is both a volume and a secret/);
  });
});

describe('from a loaded compose file', () => {
  it('builds specs for the canonical services the loader produces', async () => {
    await mkdir(join(dir, 'app'));
    await writeFile(
      join(dir, 'app', 'Dockerfile'),
      'FROM node:20 AS base\nWORKDIR /srv\nENV NODE_ENV=production\nEXPOSE 3000\nCMD ["node", "server.js"]\n',
    );
    await writeFile(join(dir, 'db_password.txt'), 'pw');
    await writeFile(
      join(dir, 'compose.yaml'),
      [
        'services:',
        '  web:',
        '    build: ./app',
        '    entrypoint: ""',
        '    environment: [LOG_DIR=/logs, MISSING]',
        '    volumes: ["./app:/srv", "logs:/logs"]',
        '    secrets: [db_password]',
        '    ports: ["8080:3000"]',
        '    healthcheck: {test: "test -f /srv/server.js", interval: 2s}',
        '    stop_grace_period: 3s',
        '    restart: on-failure:2',
        '  db:',
        '    image: postgres:16',
        'volumes: {logs: {}}',
        'secrets: {db_password: {file: ./db_password.txt}}',
      ].join('\n'),
    );
    const { project } = await loadProject({ cwd: dir, env: { PATH: '/usr/bin:/bin' } });
    const web = project.services.web!;
    const loaded: ContainerCreateRequest = {
      ...request(web, { secrets: project.secrets }),
      volumeNames: Object.fromEntries(Object.entries(project.volumes).map(([key, v]) => [key, v.name])),
    };
    const spec = await buildRuntimeSpec(loaded, context);
    const logs = join(context.volumesRoot, `${project.name}_logs`, '_data');
    expect(spec.argv).toEqual(['node', 'server.js']);
    expect(spec.cwd).toBe(join(dir, 'app'));
    expect(spec.env).toMatchObject({ NODE_ENV: 'production', LOG_DIR: logs });
    expect(spec.env.MISSING).toBeUndefined();
    expect(spec.healthcheck).toMatchObject({
      test: ['CMD-SHELL', `test -f ${join(dir, 'app', 'server.js')}`],
      intervalMs: 2000,
    });
    expect(spec.ports).toEqual([
      { hostIp: '', hostPort: 8080, containerPort: 3000, protocol: 'tcp', mode: 'ingress' },
    ]);
    expect(spec.stopGracePeriodMs).toBe(3000);
    expect(spec.restart).toEqual({ policy: 'on-failure', maxRetries: 2 });
    expect(spec.image).toBe('p-web');
    expect(spec.mounts.find((m) => m.containerPath === '/run/secrets/db_password')?.kind).toBe('secret');

    const db = await failure(
      buildRuntimeSpec({ ...loaded, serviceName: 'db', service: project.services.db! }, context),
    );
    expect(db.message).toMatch(
      /^service "db" has no command to run: berth cannot look inside image "postgres:16"/,
    );
  });
});
