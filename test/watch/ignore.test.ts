import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import {
  dockerignoreMatcher,
  ignoreMatcher,
  inIgnoredFolder,
  isEditorTempFile,
  patternMatcher,
} from '../../src/watch/ignore.js';
import { isWithin, relativeInside } from '../../src/watch/paths.js';
import { parseDockerignore, readDockerignore } from '../../src/engine/dockerignore.js';

describe('isEditorTempFile', () => {
  const temp = [
    '.index.js.swp',
    '.index.js.swo',
    '.index.js.swx',
    '.index.js.swn',
    'notes.swp',
    '4913',
    'index.js~',
    '.#index.js',
    '#index.js#',
    'index.js___jb_tmp___',
    'index.js___jb_old___',
    '.index.js.kate-swp',
    'x-go-tmp-umask',
    '.DS_Store',
  ];
  const real = ['index.js', 'app.swf', 'swap.sw', '49130', 'a#b', 'README.md', '.env', 'page#1.html'];
  it.each(temp)('%s is a temporary file', (name) => expect(isEditorTempFile(name)).toBe(true));
  it.each(real)('%s is a real file', (name) => expect(isEditorTempFile(name)).toBe(false));
});

describe('inIgnoredFolder', () => {
  it('finds .git and .idea at any depth, and only as whole names', () => {
    expect(inIgnoredFolder('.git')).toBe(true);
    expect(inIgnoredFolder('.git/HEAD')).toBe(true);
    expect(inIgnoredFolder('vendor/lib/.git/objects/ab')).toBe(true);
    expect(inIgnoredFolder('.idea/workspace.xml')).toBe(true);
    expect(inIgnoredFolder('.github/workflows/ci.yml')).toBe(false);
    expect(inIgnoredFolder('src/.gitignore')).toBe(false);
  });
});

describe('relativeInside', () => {
  it('is posix-relative inside, empty for the folder, undefined outside', () => {
    expect(relativeInside('/p/app', '/p/app/src/a.js')).toBe('src/a.js');
    expect(relativeInside('/p/app/', '/p/app')).toBe('');
    expect(relativeInside('/p/app', '/p/app/src/../b.js')).toBe('b.js');
    expect(relativeInside('/p/app', '/p/apple/a.js')).toBeUndefined();
    expect(relativeInside('/p/app', '/p')).toBeUndefined();
    expect(relativeInside('/p/app', '/p/app/../other')).toBeUndefined();
  });
  it('keeps names that merely start with two dots inside', () => {
    expect(relativeInside('/p/app', '/p/app/..hidden')).toBe('..hidden');
    expect(isWithin('/p/app/x', '/p/app')).toBe(true);
    expect(isWithin('/p/app', '/p/app')).toBe(true);
    expect(isWithin('/p/apple', '/p/app')).toBe(false);
  });
});

describe('patternMatcher', () => {
  const base = '/p/app';
  const at = (relative: string): string => `${base}/${relative}`;

  it('matches **/*.log at any depth, with a later ! exception', () => {
    const match = patternMatcher(base, ['**/*.log', '!keep.log']);
    expect(match(at('a.log'), false)).toBe(true);
    expect(match(at('deep/er/b.log'), false)).toBe(true);
    expect(match(at('keep.log'), false)).toBe(false);
    expect(match(at('sub/keep.log'), false)).toBe(true);
    expect(match(at('a.txt'), false)).toBe(false);
  });

  it('anchors every pattern at the base, with or without a leading slash', () => {
    const match = patternMatcher(base, ['/build', 'dist/', '*.tmp']);
    expect(match(at('build/out.js'), false)).toBe(true);
    expect(match(at('src/build/out.js'), false)).toBe(false);
    expect(match(at('dist/x'), false)).toBe(true);
    expect(match(at('a.tmp'), false)).toBe(true);
    expect(match(at('sub/a.tmp'), false)).toBe(false);
  });

  it('matches files under a matched folder, and ignores comments and blank patterns', () => {
    const match = patternMatcher(base, ['# node_modules', '', '  node_modules  ']);
    expect(match(at('node_modules/pkg/index.js'), false)).toBe(true);
    expect(match(at('# node_modules'), false)).toBe(false);
  });

  it('is case-sensitive, and never matches the base itself or paths outside it', () => {
    const match = patternMatcher(base, ['*.log', '**']);
    expect(match(base, true)).toBe(false);
    expect(match('/p/other/a.log', false)).toBe(false);
    expect(patternMatcher(base, ['*.log'])(at('A.LOG'), false)).toBe(false);
  });

  it('a later exception wins, a later pattern beats an earlier exception', () => {
    const match = patternMatcher(base, ['*.md', '!README*.md', 'README-secret.md']);
    expect(match(at('notes.md'), false)).toBe(true);
    expect(match(at('README.md'), false)).toBe(false);
    expect(match(at('README-secret.md'), false)).toBe(true);
  });

  describe('folders', () => {
    it('a matched folder is skipped when no exception can reach inside it', () => {
      const match = patternMatcher(base, ['node_modules', 'logs', '!keep.txt']);
      expect(match(at('node_modules'), true)).toBe(true);
      expect(match(at('logs'), true)).toBe(true);
      expect(match(at('src'), true)).toBe(false);
    });

    it('a folder an exception reaches into is not skipped, its other subfolders are', () => {
      const match = patternMatcher(base, ['node_modules', '!node_modules/keep/**']);
      expect(match(at('node_modules'), true)).toBe(false);
      expect(match(at('node_modules/keep'), true)).toBe(false);
      expect(match(at('node_modules/other'), true)).toBe(true);
      expect(match(at('node_modules/other/x.js'), false)).toBe(true);
      expect(match(at('node_modules/keep/x.js'), false)).toBe(false);
    });

    it('an exception with ** or a matching wildcard segment may reach anywhere below', () => {
      expect(patternMatcher(base, ['vendor', '!**/*.go'])(at('vendor'), true)).toBe(false);
      expect(patternMatcher(base, ['vendor', '!vend*/x'])(at('vendor'), true)).toBe(false);
      expect(patternMatcher(base, ['vendor', '!lib/x'])(at('vendor'), true)).toBe(true);
    });

    it('an exception before the pattern that matches the folder does not count', () => {
      expect(patternMatcher(base, ['!vendor/keep', 'vendor'])(at('vendor'), true)).toBe(true);
    });

    it('a folder re-included by an exception is not skipped', () => {
      const match = patternMatcher(base, ['docs', '!docs']);
      expect(match(at('docs'), true)).toBe(false);
    });
  });
});

describe('parseDockerignore', () => {
  it('drops comments and blank lines, trims, handles CRLF and a BOM', () => {
    expect(parseDockerignore('\uFEFF# deps\r\nnode_modules\r\n\r\n  *.log  \n!keep.log\n')).toEqual([
      'node_modules',
      '*.log',
      '!keep.log',
    ]);
  });
});

describe('readDockerignore', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-watch-ignore-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads the context .dockerignore, or nothing when there is none', async () => {
    expect(await readDockerignore(dir, 'Dockerfile')).toEqual([]);
    await writeFile(join(dir, '.dockerignore'), '# comment\nnode_modules\n*.log\n');
    expect(await readDockerignore(dir, 'Dockerfile')).toEqual(['node_modules', '*.log']);
    expect(await readDockerignore(dir)).toEqual(['node_modules', '*.log']);
  });

  it('prefers the Dockerfile-specific file beside the Dockerfile', async () => {
    await mkdir(join(dir, 'docker'));
    await writeFile(join(dir, '.dockerignore'), 'node_modules\n');
    await writeFile(join(dir, 'docker', 'web.Dockerfile.dockerignore'), 'tmp\n');
    expect(await readDockerignore(dir, 'docker/web.Dockerfile')).toEqual(['tmp']);
    expect(await readDockerignore(dir, join(dir, 'docker', 'web.Dockerfile'))).toEqual(['tmp']);
    expect(await readDockerignore(dir, 'Dockerfile')).toEqual(['node_modules']);
  });

  it('treats a missing context as having no .dockerignore', async () => {
    expect(await readDockerignore(join(dir, 'missing'), 'Dockerfile')).toEqual([]);
  });

  it('reports an unreadable file as a ComposeError', async () => {
    await mkdir(join(dir, '.dockerignore'));
    await expect(readDockerignore(dir)).rejects.toThrow(/cannot read .*\.dockerignore/);
  });
});

describe('dockerignoreMatcher', () => {
  it('drops every pattern when the bare * makes the file an allow-list, as compose does', () => {
    const match = dockerignoreMatcher('/ctx', ['*', '!src', '!package.json']);
    expect(match('/ctx/README.md', false)).toBe(false);
    expect(match('/ctx/src/a.js', false)).toBe(false);
    expect(dockerignoreMatcher('/ctx', ['*.md'])('/ctx/README.md', false)).toBe(true);
  });
});

describe('ignoreMatcher', () => {
  const root = '/p/app';

  it('ignores everything outside the rule path and never the path itself', () => {
    const ignored = ignoreMatcher({ root, ignore: ['*'] });
    expect(ignored('/p/other/a.js', false)).toBe(true);
    expect(ignored('/p/app.js', false)).toBe(true);
    expect(ignored(root, true)).toBe(false);
    expect(ignored(root, false)).toBe(false);
  });

  it('ignores .git and .idea trees and editor files, but not folders named like editor files', () => {
    const ignored = ignoreMatcher({ root });
    expect(ignored(`${root}/.git`, true)).toBe(true);
    expect(ignored(`${root}/lib/.git/HEAD`, false)).toBe(true);
    expect(ignored(`${root}/.idea`, true)).toBe(true);
    expect(ignored(`${root}/src/.index.js.swp`, false)).toBe(true);
    expect(ignored(`${root}/src/4913`, false)).toBe(true);
    expect(ignored(`${root}/uploads/4913`, true)).toBe(false);
    expect(ignored(`${root}/src/index.js`, false)).toBe(false);
  });

  it('applies the rule ignore patterns relative to the rule path', () => {
    const ignored = ignoreMatcher({ root, ignore: ['node_modules/', '**/*.test.js'] });
    expect(ignored(`${root}/node_modules`, true)).toBe(true);
    expect(ignored(`${root}/node_modules/x/index.js`, false)).toBe(true);
    expect(ignored(`${root}/src/a.test.js`, false)).toBe(true);
    expect(ignored(`${root}/src/a.js`, false)).toBe(false);
  });

  it('applies .dockerignore patterns relative to the context, only inside it', () => {
    const ignored = ignoreMatcher({
      root: '/p',
      context: { dir: '/p/app', patterns: ['*.log', 'cache'] },
    });
    expect(ignored('/p/app/debug.log', false)).toBe(true);
    expect(ignored('/p/app/cache', true)).toBe(true);
    expect(ignored('/p/app/src/debug.log', false)).toBe(false);
    expect(ignored('/p/debug.log', false)).toBe(false);
    expect(ignored('/p/cache', true)).toBe(false);
  });

  it('with include, ignores files matching none of the patterns but never folders', () => {
    const ignored = ignoreMatcher({ root, include: ['*.js', 'public'] });
    expect(ignored(`${root}/index.js`, false)).toBe(false);
    expect(ignored(`${root}/public/img/logo.png`, false)).toBe(false);
    expect(ignored(`${root}/README.md`, false)).toBe(true);
    expect(ignored(`${root}/src/deep.js`, false)).toBe(true);
    expect(ignored(`${root}/src`, true)).toBe(false);
  });

  it('answers for a folder when it is not told what the path is', () => {
    const ignored = ignoreMatcher({ root, ignore: ['node_modules'], include: ['*.js'] });
    expect(ignored(`${root}/node_modules`)).toBe(true);
    expect(ignored(`${root}/src`)).toBe(false);
    expect(ignored(`${root}/README.md`)).toBe(false);
    expect(ignored(`${root}/README.md`, false)).toBe(true);
    expect(ignored(`${root}/.git`)).toBe(true);
  });

  it('a single-file rule wants that file only', () => {
    const ignored = ignoreMatcher({ root: '/p/package.json', context: { dir: '/p', patterns: ['*.json'] } });
    expect(ignored('/p/package.json', false)).toBe(false);
    expect(ignored('/p/package-lock.json', false)).toBe(true);
    expect(ignored('/p/src', true)).toBe(true);
  });
});
