/**
 * Watch mode on the Docker engine, through the real CLI against the real dockerd: `berth watch` and
 * `up --watch` keep running containers in step with develop.watch rules (sync through the archive API,
 * restart with `restart: true` dependents, rebuild, sync+exec, ignore rules) and with the compose file
 * itself (services added, changed, removed; a broken edit reported while the project keeps running).
 */
import { rename, rm, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { expect, it } from 'vitest';

import {
  TEST_IMAGE,
  type DockerProject,
  type Followed,
  dockerProject,
  ok,
  sleeper,
  until,
} from './docker-fixture.js';
import { describeDocker } from '../support/docker.js';
import { freePort } from '../support/processes.js';

/** How long any one outcome of an edit may take to show (a bound, not a timing assertion). */
const DEADLINE_MS = 20_000;

/** busybox httpd serving /www, ending at once on SIGTERM (a shell as PID 1 ignores untrapped signals). */
const httpd = (before = 'true'): string =>
  `["sh", "-c", "trap 'exit 0' TERM; mkdir -p /www; ${before}; httpd -f -p 8080 -h /www & wait"]`;

/** Service `web`: httpd on a free loopback port, with the given develop.watch rules (YAML lines). */
const webService = (port: number, watch: string, command = httpd()): string => `
services:
  web:
    image: ${TEST_IMAGE}
    command: ${command}
    ports: ["127.0.0.1:${port}:8080"]
    develop:
      watch:
${watch}`;

/** `berth watch` (or `up --watch`) started in the project, once it says it is watching. */
async function startWatching(p: DockerProject, args: string[] = ['watch']): Promise<Followed> {
  const watching = p.follow(['--engine', 'docker', ...args]);
  try {
    await until(
      () => watching.errors().includes('[watch] Watch enabled') || watching.child.exitCode !== null,
      `"[watch] Watch enabled" from berth ${args.join(' ')}`,
      DEADLINE_MS,
    );
    expect(watching.child.exitCode, watching.errors()).toBeNull();
    return watching;
  } catch (error) {
    await interrupt(watching);
    throw error;
  }
}

/** Ends the command as Ctrl-C does; SIGKILL when it does not exit. Returns its exit code. */
async function interrupt(watching: Followed): Promise<number | undefined> {
  const { child } = watching;
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode ?? undefined;
  child.kill('SIGINT');
  const ended = await Promise.race([
    child.then(() => true),
    new Promise<false>((resolve) => setTimeout(() => resolve(false), 15_000)),
  ]);
  if (!ended) {
    child.kill('SIGKILL');
    await child;
    return undefined;
  }
  return child.exitCode ?? undefined;
}

/** Waits until the command's stderr (or stdout) matches, with all it said in the failure message. */
async function untilSaid(
  watching: Followed,
  pattern: RegExp | string,
  what: string,
  stream: 'stderr' | 'stdout' = 'stderr',
): Promise<void> {
  const text = (): string => (stream === 'stderr' ? watching.errors() : watching.output());
  const test = (said: string): boolean =>
    typeof pattern === 'string' ? said.includes(pattern) : pattern.test(said);
  try {
    await until(() => test(text()), what, DEADLINE_MS);
  } catch (error) {
    throw new Error(`${(error as Error).message}; its ${stream} was:\n${text()}`, { cause: error });
  }
}

/** Status and body of a GET, or undefined while nothing answers. */
async function get(url: string): Promise<{ status: number; body: string } | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    return { status: response.status, body: await response.text() };
  } catch {
    return undefined;
  }
}

async function untilServed(url: string, body: string): Promise<void> {
  let last: Awaited<ReturnType<typeof get>>;
  try {
    await until(
      async () => {
        last = await get(url);
        return last?.status === 200 && last.body === body;
      },
      `${url} to serve ${JSON.stringify(body)}`,
      DEADLINE_MS,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message} (last answer: ${JSON.stringify(last)})`, { cause: error });
  }
}

async function untilStatus(url: string, status: number): Promise<void> {
  await until(async () => (await get(url))?.status === status, `${url} to answer ${status}`, DEADLINE_MS);
}

/**
 * Saves a file as editors that write a temporary file and rename it over the original do: the watcher
 * never sees it half written (a reload that caught compose.yaml emptied would remove every service).
 */
async function saveByRename(p: DockerProject, file: string, content: string): Promise<void> {
  const target = path.join(p.dir, file);
  await writeFile(`${target}.saving`, content);
  await rename(`${target}.saving`, target);
}

const startedAt = async (p: DockerProject, service: string): Promise<string> =>
  (await p.inspect(`${p.name}-${service}-1`)).State.StartedAt;

const containerId = async (p: DockerProject, service: string): Promise<string | undefined> =>
  (await p.containers()).get(`${p.name}-${service}-1`)?.Id;

describeDocker('berth watch on the Docker engine', () => {
  it('sync: initial sync, an edit, a new file in a new folder and a deletion reach the container; Ctrl-C leaves it running', async () => {
    const port = await freePort();
    const p = await dockerProject(
      webService(port, '        - { path: ./www, target: /www, action: sync, initial_sync: true }\n'),
      { 'www/index.html': 'initial\n', 'www/old.txt': 'old\n' },
    );
    const watching = await startWatching(p);
    try {
      const url = `http://127.0.0.1:${port}`;
      // Each path is touched once: see the next test for quick successive edits of one file.
      await untilServed(`${url}/index.html`, 'initial\n');
      await untilServed(`${url}/old.txt`, 'old\n');

      await p.write('www/index.html', 'edited\n');
      await untilServed(`${url}/index.html`, 'edited\n');
      await untilSaid(watching, /\[watch\] Synced \d+ files? into service "web"/, 'the sync line');

      await p.write('www/sub/deeper/page.html', 'deep\n');
      await untilServed(`${url}/sub/deeper/page.html`, 'deep\n');

      await rm(path.join(p.dir, 'www/old.txt'));
      await untilStatus(`${url}/old.txt`, 404);
      expect((await get(`${url}/index.html`))?.body).toBe('edited\n');

      expect(await interrupt(watching)).toBe(0);
      expect((await p.inspect(`${p.name}-web-1`)).State.Running).toBe(true);
    } finally {
      await interrupt(watching);
    }
  }, 40_000);

  it('sync: quick successive edits of one file are all synced, not taken for a feedback loop', async () => {
    const port = await freePort();
    const p = await dockerProject(
      webService(port, '        - { path: ./www, target: /www, action: sync }\n'),
    );
    const watching = await startWatching(p);
    try {
      // A developer tweaking one file: each save comes right after the previous one was synced.
      for (const text of ['one\n', 'two\n', 'three\n', 'four\n']) {
        await p.write('www/style.css', text);
        await untilServed(`http://127.0.0.1:${port}/style.css`, text);
      }
      expect(watching.errors()).not.toContain('keep following');
    } finally {
      await interrupt(watching);
    }
  }, 40_000);

  it('restart: a change restarts the service and its dependents with restart: true, not the others', async () => {
    const p = await dockerProject(
      `
services:
  web:
    image: ${TEST_IMAGE}
    command: ${httpd('echo started')}
    develop:
      watch:
        - { path: ./conf, action: restart }
  follower:
    image: ${TEST_IMAGE}
    command: ${sleeper}
    depends_on:
      web: { condition: service_started, restart: true }
  bystander:
    image: ${TEST_IMAGE}
    command: ${sleeper}
    depends_on:
      web: { condition: service_started }
`,
      { 'conf/x': 'one\n' },
    );
    const watching = await startWatching(p);
    try {
      const before = {
        web: await startedAt(p, 'web'),
        follower: await startedAt(p, 'follower'),
        bystander: await startedAt(p, 'bystander'),
      };
      await p.write('conf/x', 'two\n');
      await untilSaid(
        watching,
        /\[watch\] Restarted service "web" after \d+ changes? \(.*\); restarted its dependents follower too/,
        'the restart line',
      );
      expect(await startedAt(p, 'web')).not.toBe(before.web);
      expect(await startedAt(p, 'follower')).not.toBe(before.follower);
      expect(await startedAt(p, 'bystander')).toBe(before.bystander);
      for (const service of ['web', 'follower', 'bystander']) {
        expect((await p.inspect(`${p.name}-${service}-1`)).State.Running, service).toBe(true);
      }
      // The same container, restarted: its log holds every run. (One save is sometimes applied twice:
      // the file watcher's second look reports a write it first saw half done as one more change.)
      const logs = await ok(p, ['logs', '--no-log-prefix', 'web']);
      expect(logs.stdout).toMatch(/^started\n(started\n)+$/);
    } finally {
      await interrupt(watching);
    }
  }, 40_000);

  it('rebuild: a change in the build context builds a new image and recreates the container from it', async () => {
    const p = await dockerProject(
      `
services:
  app:
    build: ./app
    develop:
      watch:
        - { path: ./app, action: rebuild }
`,
      {
        'app/Dockerfile': `FROM ${TEST_IMAGE}\nCOPY msg.txt /msg.txt\nCMD ${sleeper}\n`,
        'app/msg.txt': 'old message\n',
      },
    );
    const watching = await startWatching(p);
    try {
      const first = await p.inspect(`${p.name}-app-1`);
      // Left untagged by the rebuild: removed after the test.
      p.trackImage(first.Image);
      expect((await ok(p, ['exec', 'app', 'cat', '/msg.txt'])).stdout).toBe('old message\n');

      await p.write('app/msg.txt', 'new message\n');
      await untilSaid(watching, /\[watch\] Rebuilt service "app" after \d+ changes?/, 'the rebuild line');
      const second = await p.inspect(`${p.name}-app-1`);
      expect(second.Id).not.toBe(first.Id);
      expect(second.Image).not.toBe(first.Image);
      expect(second.State.Running).toBe(true);
      expect((await ok(p, ['exec', 'app', 'cat', '/msg.txt'])).stdout).toBe('new message\n');
    } finally {
      await interrupt(watching);
    }
  }, 60_000);

  it('sync+exec: the command runs in the container after the sync, its output marked as the watcher’s', async () => {
    const port = await freePort();
    const p = await dockerProject(
      webService(
        port,
        `        - path: ./www
          target: /www
          action: sync+exec
          exec:
            command: ["sh", "-c", "cat /www/index.html > /www/copy.html; echo copied for exec"]
`,
      ),
    );
    const watching = await startWatching(p);
    try {
      await p.write('www/index.html', 'exec me\n');
      await untilServed(`http://127.0.0.1:${port}/copy.html`, 'exec me\n');
      await untilSaid(watching, `[watch] ${p.name}-web-1 | copied for exec`, 'the exec output line');
      await untilSaid(watching, /\[watch\] Ran the exec command of service "web"/, 'the exec line');
      // Synced before the exec ran: the copy is of the new content.
      const text = watching.errors();
      expect(text.indexOf('Synced')).toBeLessThan(text.indexOf('copied for exec'));
    } finally {
      await interrupt(watching);
    }
  }, 40_000);

  it('ignore: the rule’s ignore patterns, .git and editor swap files are never synced', async () => {
    const port = await freePort();
    const p = await dockerProject(
      webService(
        port,
        '        - { path: ./www, target: /www, action: sync, ignore: ["*.tmp", "build/"] }\n',
      ),
      { 'www/.git/HEAD': 'ref: refs/heads/main\n' },
    );
    const watching = await startWatching(p);
    try {
      // The ignored ones first: by the time the wanted file arrives, they would have arrived too.
      await p.write('www/notes.tmp', 'ignored\n');
      await p.write('www/build/out.js', 'ignored\n');
      await p.write('www/.git/HEAD', 'ref: refs/heads/other\n');
      await p.write('www/.git/objects/ab/cdef', 'ignored\n');
      await p.write('www/.index.html.swp', 'ignored\n');
      await p.write('www/wanted.html', 'wanted\n');
      await untilServed(`http://127.0.0.1:${port}/wanted.html`, 'wanted\n');

      const listing = await ok(p, ['exec', 'web', 'find', '/www']);
      expect(listing.stdout.split('\n').filter(Boolean).sort()).toEqual(['/www', '/www/wanted.html']);
    } finally {
      await interrupt(watching);
    }
  }, 40_000);

  it('compose reload: adds, changes and removes services; a broken edit keeps the project running', async () => {
    const compose = (services: Record<string, string>): string =>
      'services:\n' +
      Object.entries(services)
        .map(
          ([name, level]) =>
            `  ${name}:\n    image: ${TEST_IMAGE}\n    command: ${sleeper}\n    environment: { LEVEL: "${level}" }\n`,
        )
        .join('');
    const p = await dockerProject(compose({ a: '1', b: '1' }));
    const watching = await startWatching(p);
    const container = (service: string): string => `Container ${p.name}-${service}-1`;
    /**
     * Writes compose.yaml and waits until the watcher reports the reload that did `step` (one save may
     * produce more than one change event, hence more than one reload: counting them would be racy).
     */
    const edit = async (content: string, step: string): Promise<void> => {
      const mark = watching.errors().length;
      await saveByRename(p, 'compose.yaml', content);
      const done = new RegExp(
        `${step}\\n[\\s\\S]*\\[watch\\] Reloaded the project after changes to compose\\.yaml`,
      );
      await until(
        () => done.test(watching.errors().slice(mark)),
        `the reload with "${step}"`,
        DEADLINE_MS,
      ).catch((error: unknown) => {
        throw new Error(`${(error as Error).message}; the watcher said:\n${watching.errors()}`);
      });
    };
    try {
      const a = await containerId(p, 'a');
      const b = await containerId(p, 'b');
      expect(a).toBeDefined();
      expect(b).toBeDefined();

      // A new service: its container appears, the others are kept.
      await edit(compose({ a: '1', b: '1', c: '1' }), `${container('c')}  Started`);
      const c = await containerId(p, 'c');
      expect(c).toBeDefined();
      expect((await p.inspect(`${p.name}-c-1`)).State.Running).toBe(true);
      expect(await containerId(p, 'a')).toBe(a);
      expect(await containerId(p, 'b')).toBe(b);

      // One service's environment: only its container is recreated.
      await edit(compose({ a: '1', b: '2', c: '1' }), `${container('b')}  Started`);
      const b2 = await containerId(p, 'b');
      expect(b2).not.toBe(b);
      expect((await p.inspect(`${p.name}-b-1`)).Config.Env).toContain('LEVEL=2');
      expect(await containerId(p, 'a')).toBe(a);
      expect(await containerId(p, 'c')).toBe(c);

      // A removed service: its container is removed.
      await edit(compose({ a: '1', b: '2' }), `${container('c')}  Removed`);
      expect([...(await p.containers()).keys()].sort()).toEqual([`${p.name}-a-1`, `${p.name}-b-1`]);

      // Broken YAML: the error with file and line, and nothing touched.
      const mark = watching.errors().length;
      await saveByRename(p, 'compose.yaml', `${compose({ a: '3', b: '3' })}  broken: [unclosed\n`);
      await untilSaid(
        watching,
        /\[watch\] error: compose\.yaml:\d+:\d+: .+\n\[watch\] \(.+\)\n/,
        'the error of the broken edit and its context',
      );
      expect(watching.errors().slice(mark)).not.toMatch(/Container .* (Stopping|Creating|Removing)/);
      expect(await containerId(p, 'a')).toBe(a);
      expect(await containerId(p, 'b')).toBe(b2);
      expect((await p.inspect(`${p.name}-a-1`)).State.Running).toBe(true);
      expect(watching.child.exitCode).toBeNull();

      // Fixed again: applied as usual.
      await edit(compose({ a: '3', b: '2' }), `${container('a')}  Started`);
      expect(await containerId(p, 'a')).not.toBe(a);
      expect((await p.inspect(`${p.name}-a-1`)).Config.Env).toContain('LEVEL=3');
      expect(await containerId(p, 'b')).toBe(b2);
    } finally {
      await interrupt(watching);
    }
  }, 60_000);

  it('compose reload: a save seen half way (compose.yaml emptied for a moment) removes nothing', async () => {
    const content = `services:\n  a:\n    image: ${TEST_IMAGE}\n    command: ${sleeper}\n`;
    const p = await dockerProject(content);
    const watching = await startWatching(p);
    const saidSince = async (mark: number, pattern: RegExp, what: string): Promise<void> =>
      until(() => pattern.test(watching.errors().slice(mark)), what, DEADLINE_MS).catch((error: unknown) => {
        throw new Error(`${(error as Error).message}; the watcher said:\n${watching.errors()}`);
      });
    try {
      const a = await containerId(p, 'a');
      // An editor that truncates the file, then writes it: the watcher may read it in between.
      let mark = watching.errors().length;
      await truncate(path.join(p.dir, 'compose.yaml'));
      await saidSince(mark, /\[watch\] (error|Reloaded)/, 'the watcher to react to the emptied file');
      mark = watching.errors().length;
      await writeFile(path.join(p.dir, 'compose.yaml'), content);
      await saidSince(mark, /\[watch\] Reloaded/, 'the reload of the restored file');
      // docker compose refuses an empty compose file: the running project must be kept.
      expect(watching.errors()).not.toContain(`Container ${p.name}-a-1  Removing`);
      expect(await containerId(p, 'a')).toBe(a);
    } finally {
      await interrupt(watching);
    }
  }, 40_000);

  it('up --watch: attached logs, a sync, and Ctrl-C stops the containers', async () => {
    const port = await freePort();
    const p = await dockerProject(
      webService(port, '        - { path: ./www, target: /www, action: sync }\n', httpd('echo serving www')),
    );
    const watching = await startWatching(p, ['up', '--watch']);
    try {
      await untilSaid(watching, /^web-1 +\| serving www$/m, 'the service’s output among the logs', 'stdout');
      await p.write('www/index.html', 'attached\n');
      await untilServed(`http://127.0.0.1:${port}/index.html`, 'attached\n');
      await untilSaid(watching, /\[watch\] Synced \d+ files? into service "web"/, 'the sync line');

      const code = await interrupt(watching);
      expect(code, watching.errors()).toBeDefined();
      expect(watching.errors()).toContain('Gracefully stopping...');
      expect((await p.inspect(`${p.name}-web-1`)).State.Running).toBe(false);
    } finally {
      await interrupt(watching);
    }
  }, 40_000);
});
