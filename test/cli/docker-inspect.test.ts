/**
 * port, top, events, wait and ls on the Docker engine, through the real CLI against the real dockerd.
 */
import { readdir, readlink } from 'node:fs/promises';
import path from 'node:path';

import { expect, it } from 'vitest';

import { TEST_IMAGE, dockerProject, fetchText, ok, ps, sleeper, states, until } from './docker-fixture.js';
import { expectCleanFailure } from './helpers.js';
import { describeDocker } from '../support/docker.js';

/** Whether a process has a socket open (berth's own stdio are pipes: a socket is its engine connection). */
async function hasSocket(pid: number | undefined): Promise<boolean> {
  if (pid === undefined) return false;
  const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
  const targets = await Promise.all(fds.map((fd) => readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')));
  return targets.some((target) => target.startsWith('socket:'));
}

describeDocker('berth port and top on the Docker engine', () => {
  it('prints the host address of a published port as ps shows it, and fails clearly otherwise', async () => {
    const p = await dockerProject(`
services:
  web:
    image: ${TEST_IMAGE}
    command: ["sh", "-c", "trap 'exit 0' TERM; mkdir -p /www; echo served > /www/index.html; httpd -f -p 8080 -h /www & wait"]
    ports: ["127.0.0.1::8080", "127.0.0.1::9000/udp"]
    expose: ["9100"]
    scale: 2
  idle:
    image: ${TEST_IMAGE}
    command: ${sleeper}
`);
    await ok(p, ['up', '-d']);
    const run = await ok(p, ['port', 'web', '8080']);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/^127\.0\.0\.1:\d+\n$/);
    const published = Number(run.stdout.trim().split(':')[1]);
    const row = (await ps(p))[`${p.name}-web-1`]!;
    expect(row.Publishers.find((x) => x.TargetPort === 8080 && x.Protocol === 'tcp')?.PublishedPort).toBe(
      published,
    );
    expect(await fetchText(`http://127.0.0.1:${published}/`)).toBe('served\n');
    expect((await ok(p, ['port', '--index', '1', 'web', '8080/tcp'])).stdout).toBe(run.stdout);
    expect((await ok(p, ['port', '--protocol', 'udp', 'web', '9000'])).stdout).toMatch(
      /^127\.0\.0\.1:\d+\n$/,
    );
    const second = await ok(p, ['port', '--index', '2', 'web', '8080']);
    expect(second.stdout).toMatch(/^127\.0\.0\.1:\d+\n$/);

    const exposed = await p.berth(['port', 'web', '9100']);
    expectCleanFailure(exposed);
    expect(exposed.stderr).toContain('no port 9100/tcp published');
    expectCleanFailure(await p.berth(['port', 'idle', '8080']));
    const index = await p.berth(['port', '--index', '3', 'web', '8080']);
    expectCleanFailure(index);
    expect(index.stderr).toContain('no container with index 3');
    expectCleanFailure(await p.berth(['port', 'nope', '8080']));
    expectCleanFailure(await p.berth(['port', 'web', 'http']));
  }, 60_000);

  it("prints each running container's processes with top, nothing when nothing runs", async () => {
    const p = await dockerProject(`
services:
  web:
    image: ${TEST_IMAGE}
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3601 & wait"]
  db:
    image: ${TEST_IMAGE}
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3602 & wait"]
  job:
    image: ${TEST_IMAGE}
    command: ["true"]
`);
    const nothing = await ok(p, ['top']);
    expect(nothing.stdout).toBe('');

    await ok(p, ['up', '-d']);
    await until(async () => (await states(p))[`${p.name}-job-1`] === 'exited', 'the job to exit');
    const run = await ok(p, ['top']);
    expect(run.stderr).toBe('');
    const blocks = run.stdout.split('\n\n').filter((b) => b !== '');
    expect(blocks).toHaveLength(2);
    const [db, web] = blocks.map((b) => b.split('\n'));
    expect(db![0]).toBe(`${p.name}-db-1`);
    expect(db![1]).toMatch(/^UID\s+PID\s+PPID\s+.*CMD$/);
    expect(db!.slice(2).join('\n')).toContain('sleep 3602');
    expect(web![0]).toBe(`${p.name}-web-1`);
    expect(web!.slice(2).join('\n')).toContain('sleep 3601');
    // The host pids of the container's processes, as `docker top` shows them.
    const webPid = (await p.inspect(`${p.name}-web-1`)).State.Pid;
    expect(web!.slice(2).join('\n')).toMatch(new RegExp(`\\s${webPid}\\s`));

    const one = await ok(p, ['top', 'web']);
    expect(one.stdout.startsWith(`${p.name}-web-1\n`)).toBe(true);
    expect(one.stdout).not.toContain(`${p.name}-db-1`);
    expectCleanFailure(await p.berth(['top', 'nope']));
  }, 60_000);
});

describeDocker('berth events on the Docker engine', () => {
  it('prints container events as compose does, and JSON objects of the named services with --json', async () => {
    const p = await dockerProject(`
services:
  web:
    image: ${TEST_IMAGE}
    command: ${sleeper}
  db:
    image: ${TEST_IMAGE}
    command: ${sleeper}
`);
    const text = p.follow(['events']);
    const json = p.follow(['events', '--json', 'web']);
    // Subscribed before anything happens (connected to dockerd): the creations and starts of this up show.
    await until(
      async () => (await hasSocket(text.child.pid)) && (await hasSocket(json.child.pid)),
      'events to connect',
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    await ok(p, ['up', '-d']);
    await until(() => text.output().includes(`name=${p.name}-db-1`), 'a first event');
    expect(text.output().split('\n')[0]).toMatch(
      /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6} container \S+ [0-9a-f]{12,} \(.*\)$/,
    );
    await ok(p, ['down', '-t', '1']);
    await until(
      () =>
        text
          .output()
          .split('\n')
          .some((line) => line.includes(' container destroy ') && line.includes(`name=${p.name}-web-1`)),
      'the destroy event of web',
    );
    await until(() => json.output().includes('"action":"destroy"'), 'the JSON destroy event');
    text.child.kill('SIGINT');
    json.child.kill('SIGINT');
    const [textResult, jsonResult] = await Promise.all([text.child, json.child]);
    expect(textResult.exitCode).toBe(0);
    expect(jsonResult.exitCode).toBe(0);
    expect(text.errors()).toBe('');

    const web = text
      .output()
      .split('\n')
      .filter((line) => line.includes(`name=${p.name}-web-1`));
    const actions = web.map((line) => / container (\S+) /.exec(line)?.[1]);
    expect(actions).toEqual(expect.arrayContaining(['create', 'start', 'stop', 'destroy']));
    expect(web.find((line) => line.includes(' container start '))).toContain(`image=${TEST_IMAGE}`);
    expect(text.output()).not.toContain('com.docker.compose.');

    const rows = json
      .output()
      .trimEnd()
      .split('\n')
      .map(
        (line) =>
          JSON.parse(line) as {
            time: string;
            type: string;
            action: string;
            service: string;
            attributes: Record<string, string>;
          },
      );
    expect(new Set(rows.map((r) => r.service))).toEqual(new Set(['web']));
    const start = rows.find((r) => r.action === 'start');
    expect(start).toMatchObject({
      type: 'container',
      attributes: { name: `${p.name}-web-1`, image: TEST_IMAGE },
    });
    expect(Number.isNaN(Date.parse(start!.time))).toBe(false);

    expectCleanFailure(await p.berth(['events', 'nope']));
  }, 60_000);
});

describeDocker('berth wait on the Docker engine', () => {
  it('waits for the services to exit, prints their codes and exits with the first; --down-project', async () => {
    const compose = `
services:
  web:
    image: ${TEST_IMAGE}
    command: ${sleeper}
  job:
    image: ${TEST_IMAGE}
    command: ["sh", "-c", "while [ ! -f /tmp/GO ]; do sleep 0.1; done; exit 3"]
  other:
    image: ${TEST_IMAGE}
    command: ["sh", "-c", "exit 0"]
`;
    const p = await dockerProject(compose);
    const none = await p.berth(['wait', 'job']);
    expectCleanFailure(none);
    expect(none.stderr).toContain('no containers');
    expectCleanFailure(await p.berth(['wait', 'nope']));

    await ok(p, ['up', '-d']);
    const id = async (service: string): Promise<string> =>
      (await ok(p, ['ps', '-a', '-q', service])).stdout.trim();
    const job = await id('job');
    expect((await p.inspect(`${p.name}-job-1`)).Id.startsWith(job)).toBe(true);
    const waiting = p.berth(['wait', 'job']);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await ok(p, ['exec', 'job', 'touch', '/tmp/GO']);
    const run = await waiting;
    expect(run.stdout).toBe(`container "${job}" exited with status code 3\n`);
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(3);

    // Already exited: reported at once.
    await until(async () => (await states(p))[`${p.name}-other-1`] === 'exited', 'other to exit');
    const again = await p.berth(['wait', 'other', 'job']);
    expect(again.stdout).toContain(`container "${job}" exited with status code 3\n`);
    expect(again.stdout).toContain(`container "${await id('other')}" exited with status code 0\n`);

    // --down-project: the first exit takes the project down.
    await ok(p, ['up', '-d', '--force-recreate', 'job']);
    const downing = p.berth(['--progress', 'quiet', 'wait', '--down-project', 'job']);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await ok(p, ['exec', 'job', 'touch', '/tmp/GO']);
    const down = await downing;
    expect(down.stdout).toMatch(/^container "[0-9a-f]+" exited with status code 3\n$/);
    expect((await p.containers()).size).toBe(0);
  }, 60_000);
});

describeDocker('berth ls on the Docker engine', () => {
  it('lists running projects with their running containers, all of them with -a, as JSON, by name', async () => {
    const running = await dockerProject(`
services:
  web:
    image: ${TEST_IMAGE}
    command: ${sleeper}
    scale: 2
  job:
    image: ${TEST_IMAGE}
    command: ["true"]
`);
    const finished = await dockerProject(`
services:
  job:
    image: ${TEST_IMAGE}
    command: ["true"]
`);
    await ok(running, ['up', '-d']);
    await ok(finished, ['up', '-d']);
    for (const p of [running, finished]) {
      await until(async () => (await states(p))[`${p.name}-job-1`] === 'exited', 'the job to exit');
    }

    const ls = await ok(running, ['ls']);
    expect(ls.stdout.split('\n')[0]).toMatch(/^NAME\s+STATUS\s+CONFIG FILES$/);
    expect(ls.stdout).toMatch(
      new RegExp(`\\n${running.name}\\s+running\\(2\\)\\s+${path.join(running.dir, 'compose.yaml')}\\n`),
    );
    expect(ls.stdout).not.toContain(finished.name);

    const all = await ok(running, ['ls', '-a', '--format', 'json']);
    const rows = JSON.parse(all.stdout) as { Name: string; Status: string; ConfigFiles: string }[];
    const byName = new Map(rows.map((r) => [r.Name, r]));
    expect(byName.get(running.name)).toEqual({
      Name: running.name,
      Status: 'exited(1), running(2)',
      ConfigFiles: path.join(running.dir, 'compose.yaml'),
    });
    expect(byName.get(finished.name)?.Status).toBe('exited(1)');

    const filtered = await ok(running, ['ls', '-a', '-q', '--filter', `name=${finished.name}`]);
    expect(filtered.stdout).toBe(`${finished.name}\n`);
  }, 60_000);
});
