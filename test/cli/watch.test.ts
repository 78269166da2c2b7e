/**
 * Watch mode end to end on the in-process engine, through the real CLI: `berth watch` and `up --watch`
 * running as child processes while the test edits files, with the outcome observed over HTTP (what a
 * replica serves, its pid, its environment) and through `ps`.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

import type { ResultPromise } from 'execa';
import { describe, expect, it } from 'vitest';

import { eventually, type Fixture, fixture, ps } from './lifecycle-fixture.js';
import { expectCleanFailure } from './helpers.js';
import { freePort, psRows } from '../support/processes.js';

/**
 * The services' program: an HTTP server on the port given as its first argument. `/pid` and `/env/NAME`
 * answer with its pid and a variable; any other path is a file under its working directory's `www`.
 */
const SERVER = `
const http = require('http');
const fs = require('fs');
http.createServer((q, s) => {
  if (q.url === '/pid') return s.end(String(process.pid));
  if (q.url.startsWith('/env/')) return s.end(process.env[q.url.slice(5)] ?? '');
  try { s.end(fs.readFileSync('www' + q.url)); } catch { s.statusCode = 404; s.end('missing'); }
}).listen(Number(process.argv[2]));
`;

/** A service running SERVER on `port` (host and container port alike, so both networking modes work). */
function server(port: number, extra = ''): string {
  return `    image: node:20
    command: ["node", "/app/server.js", "${port}", "MARKER"]
    volumes: ["./app:/app:ro"]
    ports: ["127.0.0.1:${port}:${port}"]
${extra}`;
}

async function get(port: number, urlPath: string): Promise<{ status: number; body: string } | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}${urlPath}`, { signal: AbortSignal.timeout(2000) });
    return { status: response.status, body: await response.text() };
  } catch {
    return undefined;
  }
}

/** Waits until `urlPath` answers `body` (status 200), or until it answers 404 when `body` is undefined. */
async function serves(port: number, urlPath: string, body: string | undefined): Promise<void> {
  await eventually(
    async () => {
      const answer = await get(port, urlPath);
      return body === undefined ? answer?.status === 404 : answer?.status === 200 && answer.body === body;
    },
    `${urlPath} on port ${port} to answer ${body ?? '404'}`,
  );
}

/** Starts `berth <args>` and waits until the watcher says it watches; returns the child and its stderr so far. */
async function startWatching(
  f: Fixture,
  args: string[],
): Promise<{ child: ResultPromise; stderr: () => string; stdout: () => string }> {
  const child = f.spawn(args);
  let stderr = '';
  let stdout = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  await eventually(async () => {
    if (child.exitCode !== null) throw new Error(`berth ${args.join(' ')} ended:\n${stderr}`);
    return stderr.includes('[watch] Watch enabled');
  }, 'the watcher to start');
  return { child, stderr: () => stderr, stdout: () => stdout };
}

/** SIGINT, as Ctrl-C; the watcher must end within 10 s. */
async function stop(child: ResultPromise): Promise<number | undefined> {
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  const result = await child;
  clearTimeout(timer);
  if (result.signal === 'SIGKILL') throw new Error(`berth did not end on SIGINT:\n${String(result.stderr)}`);
  return result.exitCode;
}

async function write(f: Fixture, file: string, content: string): Promise<void> {
  await mkdir(path.dirname(path.join(f.dir, file)), { recursive: true });
  await writeFile(path.join(f.dir, file), content);
}

describe('berth watch on the in-process engine', () => {
  it('syncs changed, new and deleted files into the replica, ignoring what the rules ignore', async () => {
    const port = await freePort();
    const f = await fixture(
      'watchsync',
      `
services:
  web:
    working_dir: /srv
${server(port)}
    develop:
      watch:
        - path: ./www
          target: /srv/www
          action: sync
          initial_sync: true
          ignore: ["*.tmp"]
`,
    );
    await write(f, 'app/server.js', SERVER);
    await write(f, 'www/index.html', 'one');
    await write(f, 'www/old.html', 'old');
    const watching = await startWatching(f, ['watch']);
    try {
      await serves(port, '/old.html', 'old');
      // initial_sync: the replica's /srv/www (its private folder, not the project's www) has the file.
      await serves(port, '/index.html', 'one');
      await write(f, 'www/index.html', 'two');
      await serves(port, '/index.html', 'two');
      await write(f, 'www/sub/new.html', 'new');
      await serves(port, '/sub/new.html', 'new');
      await rm(path.join(f.dir, 'www/old.html'));
      await serves(port, '/old.html', undefined);

      // Ignored: the rule's own pattern, .git, an editor swap file. Then a wanted file, which is seen.
      await write(f, 'www/skip.tmp', 'x');
      await write(f, 'www/.git/HEAD', 'x');
      await write(f, 'www/.index.html.swp', 'x');
      await write(f, 'www/wanted.html', 'yes');
      await serves(port, '/wanted.html', 'yes');
      for (const ignored of ['/skip.tmp', '/.git/HEAD', '/.index.html.swp']) {
        expect((await get(port, ignored))?.status, ignored).toBe(404);
      }
      expect(watching.stderr()).toMatch(/\[watch\] Synced \d+ files? into service "web"/);
      expect(await stop(watching.child)).toBe(0);
      // Watching ended; the project keeps running.
      expect((await get(port, '/index.html'))?.body).toBe('two');
    } finally {
      watching.child.kill('SIGKILL');
    }
  });

  it('restarts a service and its dependents with restart: true on change, and runs sync+exec', async () => {
    const [apiPort, workerPort, otherPort] = [await freePort(), await freePort(), await freePort()];
    const f = await fixture(
      'watchrestart',
      `
services:
  api:
    working_dir: /srv
${server(apiPort)}
    develop:
      watch:
        - path: ./conf
          action: restart
        - path: ./www
          target: /srv/www
          action: sync+exec
          exec:
            command: ["sh", "-c", "cp www/index.html www/copy.html && echo copied-by-exec"]
  worker:
${server(workerPort)}
    depends_on:
      api:
        condition: service_started
        restart: true
  other:
${server(otherPort)}
    depends_on: [api]
`,
    );
    await write(f, 'app/server.js', SERVER);
    await write(f, 'conf/settings', 'a');
    await write(f, 'www/index.html', 'first');
    const watching = await startWatching(f, ['watch']);
    try {
      const pids = async (): Promise<string[]> =>
        Promise.all([apiPort, workerPort, otherPort].map(async (p) => (await get(p, '/pid'))?.body ?? ''));
      let before: string[] = [];
      await eventually(
        async () => (before = await pids()).every((p) => /^\d+$/.test(p)),
        'the servers to answer',
      );

      await write(f, 'conf/settings', 'b');
      let after: string[] = [];
      await eventually(async () => {
        after = await pids();
        return (
          after[0] !== before[0] &&
          /^\d+$/.test(after[0]!) &&
          after[1] !== before[1] &&
          /^\d+$/.test(after[1]!)
        );
      }, 'api and worker to restart');
      expect(after[2], 'a dependent without restart: true keeps running').toBe(before[2]);
      expect(watching.stderr()).toMatch(/\[watch\] Restarted service "api" after 1 change .*worker/);

      await write(f, 'www/index.html', 'second');
      await serves(apiPort, '/copy.html', 'second');
      await eventually(async () => watching.stderr().includes('| copied-by-exec'), 'the exec output');
      expect(await stop(watching.child)).toBe(0);
    } finally {
      watching.child.kill('SIGKILL');
    }
  });

  it('rebuilds: an edit under a rebuild rule re-reads the Dockerfile and recreates the replica', async () => {
    const port = await freePort();
    const f = await fixture(
      'watchrebuild',
      `
services:
  app:
    build: ./image
${server(port)}
    develop:
      watch:
        - path: ./image
          action: rebuild
`,
    );
    await write(f, 'app/server.js', SERVER);
    await write(f, 'image/Dockerfile', 'FROM scratch\nENV GREETING=hello\n');
    const watching = await startWatching(f, ['watch']);
    try {
      await serves(port, '/env/GREETING', 'hello');
      await write(f, 'image/Dockerfile', 'FROM scratch\nENV GREETING=bonjour\n');
      await serves(port, '/env/GREETING', 'bonjour');
      expect(watching.stderr()).toMatch(/\[watch\] Rebuilt service "app"/);
    } finally {
      await stop(watching.child);
    }
  });

  it('reloads the compose file: adds, changes only what changed, removes; a broken edit keeps the project', async () => {
    const [aPort, bPort, cPort] = [await freePort(), await freePort(), await freePort()];
    const compose = (aValue: string, withC: boolean): string => `
services:
  a:
${server(aPort)}
    environment:
      VALUE: ${aValue}
  b:
${server(bPort)}
${withC ? `  c:\n${server(cPort)}` : ''}`;
    const f = await fixture('watchreload', compose('one', false));
    const marker = f.marker;
    const save = (text: string): Promise<void> => write(f, 'compose.yaml', text.replaceAll('MARKER', marker));
    await write(f, 'app/server.js', SERVER);
    const watching = await startWatching(f, ['watch']);
    try {
      await serves(aPort, '/env/VALUE', 'one');
      const ids = async (): Promise<Record<string, string>> => {
        const run = await f.berth(['ps', '--format', 'json']);
        expect(run.exitCode, run.stderr).toBe(0);
        return Object.fromEntries(psRows(run.stdout).map((row) => [row.Service, row.ID]));
      };
      const first = await ids();

      await save(compose('one', true));
      await serves(cPort, '/pid', (await eventuallyPid(cPort)) ?? '');
      const second = await ids();
      expect(second.a).toBe(first.a);
      expect(second.b).toBe(first.b);

      await save(compose('two', true));
      await serves(aPort, '/env/VALUE', 'two');
      const third = await ids();
      expect(third.a, 'a was recreated').not.toBe(first.a);
      expect(third.b, 'b was left alone').toBe(first.b);
      expect(third.c).toBe(second.c);

      await save(compose('two', false));
      await eventually(async () => !('c' in (await ids())), 'c to be removed');
      const aPid = await eventuallyPid(aPort);
      const bPid = await eventuallyPid(bPort);

      // A broken edit: reported with its location; everything keeps running.
      await save('services:\n  a:\n    image: [unclosed\n');
      await eventually(
        async () => /\[watch\] error: .*compose\.yaml/.test(watching.stderr()),
        'the load error',
      );
      expect(watching.stderr()).toMatch(/the running project is kept/);
      // (`ps` would load the broken file too: the servers' pids tell that nothing was touched.)
      expect((await get(aPort, '/env/VALUE'))?.body).toBe('two');
      expect((await get(aPort, '/pid'))?.body).toBe(aPid);
      expect((await get(bPort, '/pid'))?.body).toBe(bPid);

      // Fixed again: applied.
      await save(compose('three', false));
      await serves(aPort, '/env/VALUE', 'three');
      expect(watching.stderr()).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/);
    } catch (error) {
      throw new Error(`${String(error)}\n--- berth watch said:\n${watching.stderr()}`, { cause: error });
    } finally {
      await stop(watching.child);
    }
  }, 60_000);

  it('stops a feedback loop: a service that writes into its own watched folder at start', async () => {
    const f = await fixture(
      'watchloop',
      `
services:
  writer:
    image: node:20
    command: ["node", "/app/loop.js", "/conf/started", "MARKER", "/app/armed"]
    volumes: ["./app:/app:ro", "./conf:/conf"]
    develop:
      watch:
        - path: ./conf
          action: restart
`,
    );
    // Each start writes a new stamp into the folder its restart rule watches.
    await write(
      f,
      'app/loop.js',
      "const fs = require('fs');\n// Armed by the test: a first start racing the watcher's own start would make the count uncertain.\nif (fs.existsSync(process.argv[4])) fs.writeFileSync(process.argv[2], String(process.pid));\nsetInterval(() => {}, 1000);\n",
    );
    await write(f, 'conf/settings', 'a');
    const watching = await startWatching(f, ['watch']);
    try {
      const restarts = (): number => watching.stderr().split('[watch] Restarted').length - 1;
      const before = restarts();
      // From now on every start writes into the watched folder (app/ is not watched).
      await write(f, 'app/armed', '1');
      await write(f, 'conf/settings', 'b');
      await eventually(async () => watching.stderr().includes('keep following'), 'the loop to be noticed');
      const seen = restarts();
      expect(seen - before, watching.stderr()).toBeLessThanOrEqual(3);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(restarts(), `no restart after the loop was noticed:\n${watching.stderr()}`).toBe(seen);
      // A change of the user's own still restarts it.
      await write(f, 'conf/settings', 'c');
      await eventually(async () => restarts() > seen, 'a restart for the user edit');
      expect(watching.stderr()).toMatch(/started keep following each action on service "writer"/);
    } finally {
      await stop(watching.child);
    }
  });

  it('refuses rules that cannot work, and --watch with --detach, with a clear message', async () => {
    const f = await fixture(
      'watchbad',
      `
services:
  web:
    image: node:20
    command: ["node", "-e", "setInterval(() => {}, 1000)", "MARKER"]
    develop:
      watch:
        - path: ./src
          action: rebuild
`,
    );
    const rebuild = await f.berth(['watch', '--no-up']);
    expectCleanFailure(rebuild);
    expect(rebuild.stderr).toContain('services.web.develop.watch[0]');
    expect(rebuild.stderr).toMatch(/needs a build section/);

    const detached = await f.berth(['up', '--watch', '-d']);
    expectCleanFailure(detached);
    expect(detached.stderr).toContain('--watch and --detach are incompatible');

    const unknown = await f.berth(['watch', '--no-up', 'nope']);
    expectCleanFailure(unknown);
  });

  it('up --watch: attached logs, follows recreated replicas, and Ctrl-C stops the project', async () => {
    const port = await freePort();
    const f = await fixture(
      'watchup',
      `
services:
  web:
    working_dir: /srv
${server(port)}
    develop:
      watch:
        - path: ./www
          target: /srv/www
          action: sync
          initial_sync: true
        - path: ./app
          action: restart
`,
    );
    await write(
      f,
      'app/server.js',
      SERVER.replace('http.createServer', "console.log('serving', process.pid);\nhttp.createServer"),
    );
    await write(f, 'www/index.html', 'up');
    const watching = await startWatching(f, ['up', '--watch']);
    const { child } = watching;
    try {
      await serves(port, '/index.html', 'up');
      await write(f, 'www/index.html', 'watched');
      await serves(port, '/index.html', 'watched');
      const pid = (await get(port, '/pid'))?.body;
      await write(f, 'app/extra.txt', 'restart please');
      await eventually(async () => {
        const now = (await get(port, '/pid'))?.body;
        return now !== undefined && now !== pid && /^\d+$/.test(now);
      }, 'the restart');
      // The restarted replica's output is followed too.
      const restarted = (await get(port, '/pid'))?.body;
      await eventually(async () => watching.stdout().includes(`serving ${restarted}`), 'the new log line');
      child.kill('SIGINT');
      const result = await child;
      expect(result.exitCode).toBe(130);
      const rows = Object.values(await ps(f));
      expect(rows.every((row) => row.State === 'exited')).toBe(true);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

async function eventuallyPid(port: number): Promise<string | undefined> {
  let pid: string | undefined;
  await eventually(
    async () => /^\d+$/.test((pid = (await get(port, '/pid'))?.body) ?? ''),
    `a server on ${port}`,
  );
  return pid;
}
