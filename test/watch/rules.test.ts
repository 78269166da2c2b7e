/** Watch rules of projects read by the real loader from real files, with real .dockerignore files. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { ComposeError } from '../../src/project/errors.js';
import { loadProject } from '../../src/project/load.js';
import type { Project } from '../../src/project/types.js';
import { containerTarget, resolveWatchRules } from '../../src/watch/rules.js';

describe('resolveWatchRules', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-watch-rules-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function load(compose: string, files: Record<string, string> = {}): Promise<Project> {
    for (const [name, content] of Object.entries(files)) {
      await mkdir(join(dir, name, '..'), { recursive: true });
      await writeFile(join(dir, name), content);
    }
    await writeFile(join(dir, 'compose.yaml'), compose);
    return (await loadProject({ cwd: dir, env: {} })).project;
  }

  async function failure(project: Project, services?: string[]): Promise<ComposeError> {
    const error: unknown = await resolveWatchRules(project, services).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ComposeError);
    return error as ComposeError;
  }

  it('resolves paths, targets, actions, indexes and initial_sync', async () => {
    const project = await load(
      `
services:
  web:
    image: node
    working_dir: /srv
    develop:
      watch:
        - { path: ./src, action: sync, target: app/src, initial_sync: true }
        - { path: ./a, action: sync+restart, target: "/x/../y/" }
        - { path: ./package.json, action: restart, target: /app/package.json }
  db:
    image: postgres
`,
      { 'src/index.js': '', 'a/x': '', 'package.json': '{}' },
    );
    const { rules, warnings } = await resolveWatchRules(project);
    expect(warnings).toEqual([]);
    expect(
      rules.map(({ service, index, action, path, target, initialSync }) => ({
        service,
        index,
        action,
        path,
        target,
        initialSync,
      })),
    ).toEqual([
      {
        service: 'web',
        index: 0,
        action: 'sync',
        path: join(dir, 'src'),
        target: '/app/src',
        initialSync: true,
      },
      {
        service: 'web',
        index: 1,
        action: 'sync+restart',
        path: join(dir, 'a'),
        target: '/y',
        initialSync: false,
      },
      {
        service: 'web',
        index: 2,
        action: 'restart',
        path: join(dir, 'package.json'),
        target: '/app/package.json',
        initialSync: false,
      },
    ]);
    expect(rules[0]!.exec).toBeUndefined();
  });

  it('resolves only the named services', async () => {
    const project = await load(`
services:
  a:
    image: x
    develop: { watch: [{ path: ./a, action: restart, target: /a }] }
  b:
    image: x
    develop: { watch: [{ path: ./b, action: restart, target: /b }] }
`);
    const { rules } = await resolveWatchRules(project, ['b', 'b']);
    expect(rules.map((r) => r.service)).toEqual(['b']);
  });

  it('converts the exec of a sync+exec rule', async () => {
    const project = await load(
      `
services:
  web:
    image: node
    develop:
      watch:
        - path: ./src
          action: sync+exec
          target: /app
          exec:
            command: npm run reload -- --fast
            user: node
            working_dir: /app
            privileged: true
            environment: [MODE=dev, UNSET]
`,
      { 'src/index.js': '' },
    );
    const { rules } = await resolveWatchRules(project);
    expect(rules[0]!.exec).toEqual({
      command: ['npm', 'run', 'reload', '--', '--fast'],
      user: 'node',
      workingDir: '/app',
      privileged: true,
      environment: { MODE: 'dev', UNSET: '' },
    });
  });

  it('warns about a path that does not exist yet and an exec no action uses', async () => {
    const project = await load(`
services:
  web:
    image: node
    develop:
      watch:
        - path: ./later
          action: sync
          target: /later
          exec: { command: [echo, hi] }
`);
    const { rules, warnings } = await resolveWatchRules(project);
    expect(rules).toHaveLength(1);
    expect(rules[0]!.exec).toBeUndefined();
    expect(warnings).toEqual([
      'services.web.develop.watch[0]: exec is only used by the sync+exec action; it is ignored for sync',
      `services.web.develop.watch[0]: path ${join(dir, 'later')} does not exist yet; it is watched anyway`,
    ]);
    // It still matches what appears there later.
    expect(rules[0]!.ignored(join(dir, 'later', 'a.js'), false)).toBe(false);
  });

  it('refuses a rebuild rule on a service without build', async () => {
    const project = await load(`
services:
  web:
    image: node
    develop:
      watch:
        - { path: ./src, action: sync, target: /app }
        - { path: ./package.json, action: rebuild }
`);
    const error = await failure(project);
    expect(error.keyPath).toEqual(['services', 'web', 'develop', 'watch', 1]);
    expect(error.message).toBe(
      'services.web.develop.watch[1]: action "rebuild" needs a build section, and service "web" has none ' +
        '(use restart (or sync+restart) for a service run from an image, or add a build section)',
    );
  });

  it('refuses a sync+exec rule without a command', async () => {
    const project = await load(`
services:
  web:
    image: node
    develop:
      watch:
        - { path: ./src, action: sync+exec, target: /app }
`);
    const error = await failure(project);
    expect(error.keyPath).toEqual(['services', 'web', 'develop', 'watch', 0]);
    expect(error.problem).toBe('action "sync+exec" needs exec.command');
    expect(error.hint).toMatch(/exec: \{ command/);
  });

  it('refuses unknown and disabled services', async () => {
    const project = await load(`
services:
  web: { image: node }
  debug: { image: node, profiles: [debug] }
`);
    const unknown = await failure(project, ['web', 'nope']);
    expect(unknown.message).toBe('no such service: "nope" (the services are: web)');
    const disabled = await failure(project, ['debug']);
    expect(disabled.message).toMatch(
      /^services\.debug\.profiles: service "debug" is disabled by its profiles/,
    );
  });

  it('skips services without watch rules', async () => {
    const project = await load('services:\n  web: { image: node }\n');
    expect(await resolveWatchRules(project)).toEqual({ rules: [], warnings: [] });
  });

  describe('ignored', () => {
    it('combines .git, editor files, the context .dockerignore, ignore and include', async () => {
      const project = await load(
        `
services:
  web:
    build: ./app
    develop:
      watch:
        - path: ./app
          action: sync
          target: /app
          ignore: [tmp/, "**/*.test.js"]
        - path: ./app/src
          action: rebuild
          include: ["*.js", "views"]
`,
        {
          'app/.dockerignore': '# built\nnode_modules\n**/*.log\n!important.log\n/dist\n',
          'app/src/index.js': '',
        },
      );
      const { rules, warnings } = await resolveWatchRules(project);
      expect(warnings).toEqual([]);
      const [sync, rebuild] = rules;
      const app = (p: string): string => join(dir, 'app', p);

      expect(sync!.ignored(app('src/index.js'), false)).toBe(false);
      expect(sync!.ignored(app('.git'), true)).toBe(true);
      expect(sync!.ignored(app('src/.index.js.swp'), false)).toBe(true);
      expect(sync!.ignored(app('src/index.js~'), false)).toBe(true);
      expect(sync!.ignored(app('node_modules'), true)).toBe(true);
      expect(sync!.ignored(app('node_modules/x/y.js'), false)).toBe(true);
      expect(sync!.ignored(app('logs/a.log'), false)).toBe(true);
      expect(sync!.ignored(app('important.log'), false)).toBe(false);
      expect(sync!.ignored(app('dist'), true)).toBe(true);
      expect(sync!.ignored(app('src/dist'), true)).toBe(false);
      expect(sync!.ignored(app('tmp'), true)).toBe(true);
      expect(sync!.ignored(app('src/a.test.js'), false)).toBe(true);
      expect(sync!.ignored(join(dir, 'compose.yaml'), false)).toBe(true);

      // The .dockerignore is relative to the context, the rule's patterns to the rule's path.
      expect(rebuild!.ignored(app('src/index.js'), false)).toBe(false);
      expect(rebuild!.ignored(app('src/style.css'), false)).toBe(true);
      expect(rebuild!.ignored(app('src/views/home.html'), false)).toBe(false);
      expect(rebuild!.ignored(app('src/lib'), true)).toBe(false);
      expect(rebuild!.ignored(app('src/debug.log'), false)).toBe(true);
      expect(rebuild!.ignored(app('index.js'), false)).toBe(true);
    });

    it('uses the Dockerfile-specific ignore file instead of the context one', async () => {
      const project = await load(
        `
services:
  web:
    build: { context: ., dockerfile: docker/web.Dockerfile }
    develop:
      watch:
        - { path: ., action: rebuild }
`,
        {
          '.dockerignore': 'docs\n',
          'docker/web.Dockerfile': 'FROM scratch\n',
          'docker/web.Dockerfile.dockerignore': 'fixtures\n',
        },
      );
      const { rules } = await resolveWatchRules(project);
      expect(rules[0]!.ignored(join(dir, 'fixtures'), true)).toBe(true);
      expect(rules[0]!.ignored(join(dir, 'docs', 'a.md'), false)).toBe(false);
    });

    it('keeps an explicitly named file even when .dockerignore lists it', async () => {
      const project = await load(
        `
services:
  web:
    build: .
    develop:
      watch:
        - { path: ./Dockerfile, action: rebuild }
`,
        { '.dockerignore': 'Dockerfile\n*.md\n', Dockerfile: 'FROM scratch\n' },
      );
      const { rules } = await resolveWatchRules(project);
      const ignored = rules[0]!.ignored;
      expect(ignored(join(dir, 'Dockerfile'), false)).toBe(false);
      expect(ignored(join(dir, 'README.md'), false)).toBe(true);
      expect(ignored(join(dir, 'Dockerfile.dev'), false)).toBe(true);
    });

    it('warns when the build .dockerignore hides the whole watched folder', async () => {
      const project = await load(
        `
services:
  web:
    build: .
    develop:
      watch:
        - { path: ./vendor, action: rebuild }
`,
        { '.dockerignore': 'vendor\n', 'vendor/lib.js': '' },
      );
      const { rules, warnings } = await resolveWatchRules(project);
      expect(warnings).toEqual([
        `services.web.develop.watch[0]: path ${join(dir, 'vendor')} is excluded by the build context's ` +
          '.dockerignore, so no change under it is seen',
      ]);
      expect(rules[0]!.ignored(join(dir, 'vendor', 'lib.js'), false)).toBe(true);
    });
  });
});

describe('containerTarget', () => {
  it.each([
    ['/app', '/app'],
    ['/app/', '/app'],
    ['app', '/app'],
    ['./app/./src', '/app/src'],
    ['a/../../b', '/b'],
    ['/srv//www/../html', '/srv/html'],
    ['/', '/'],
  ])('%s is %s', (target, expected) => expect(containerTarget(target)).toBe(expected));

  it('is undefined without a target', () => {
    expect(containerTarget(undefined)).toBeUndefined();
    expect(containerTarget('')).toBeUndefined();
  });
});
