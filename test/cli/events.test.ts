import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { expectCleanFailure, runBerth } from './helpers.js';
import { followBerth, runningProject, testProject, until } from './started-project.js';

// The flapper keeps restarting: its events show that `events` is subscribed before the test acts.
const compose = `
services:
  web:
    image: node
    command: ["node", "-e", "setInterval(() => {}, 1000)", "MARKER"]
  db:
    image: node
    command: ["node", "-e", "setInterval(() => {}, 1000)", "MARKER"]
  flapper:
    image: node
    command: ["node", "-e", "setTimeout(() => process.exit(1), 100)", "MARKER"]
    restart: always
`;

describe('berth events', () => {
  it('prints container events as compose does, across a down and the next up, until Ctrl-C', async () => {
    const p = await runningProject(compose);
    const name = path.basename(p.dir).toLowerCase();
    const events = followBerth(p, ['events']);
    await until(() => events.output().includes(`name=${name}-flapper-1`), 'a first event');
    expect(events.output().split('\n')[0]).toMatch(
      /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6} container (start|die|restart) [0-9a-f]{12,} \(.*\)$/,
    );
    const firstFlapper = / container \S+ ([0-9a-f]+) \(.*flapper/.exec(events.output())![1]!;

    const down = await runBerth(['down'], { cwd: p.dir, env: p.env });
    expect(down.exitCode).toBe(0);
    await until(
      () => events.output().includes(`destroy`) && events.output().includes(`name=${name}-web-1`),
      'the events of the down',
    );
    // The supervisor ended with the down; the command waits for the next one, as compose follows the daemon.
    await p.up();
    await until(
      () =>
        events
          .output()
          .split('\n')
          .some((line) => line.includes('flapper') && !line.includes(firstFlapper)),
      'events of the new supervisor',
    );
    events.child.kill('SIGINT');
    const result = await events.child;
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);

    const web = events
      .output()
      .split('\n')
      .filter((line) => line.includes(`name=${name}-web-1`));
    const actions = web.map((line) => / container (\S+) /.exec(line)?.[1]);
    expect(actions).toContain('stop');
    expect(actions).toContain('destroy');
    expect(web.find((line) => line.includes(' container stop '))).toMatch(/\(image=node, name=/);
    expect(events.output()).not.toContain('com.docker.compose.');
  });

  it('waits for a host when nothing runs yet', async () => {
    const p = await testProject(compose);
    const events = followBerth(p, ['events', '--json', 'flapper']);
    // No host yet: the command polls for one; the flapper's restarts show once it is found.
    await p.up();
    await until(() => events.output().includes('"service":"flapper"'), 'events of the new supervisor');
    events.child.kill('SIGINT');
    expect((await events.child).exitCode).toBe(0);
  });

  it('prints JSON objects of the named services only, and ends on Ctrl-C with 0', async () => {
    const p = await runningProject(compose);
    const name = path.basename(p.dir).toLowerCase();
    const events = followBerth(p, ['events', '--json', 'flapper', 'web']);
    await until(() => events.output().includes('"service":"flapper"'), 'a first event');

    const down = await runBerth(['down', 'web', 'db'], { cwd: p.dir, env: p.env });
    expect(down.exitCode).toBe(0);
    await until(
      () =>
        events
          .output()
          .split('\n')
          .some((line) => line.includes('"action":"destroy"') && line.includes('"service":"web"')),
      'the destroy event of web',
    );
    events.child.kill('SIGINT');
    const result = await events.child;
    expect(result.exitCode).toBe(0);
    const rows = events
      .output()
      .trimEnd()
      .split('\n')
      .map(
        (line) =>
          JSON.parse(line) as {
            time: string;
            type: string;
            action: string;
            id: string;
            service: string;
            attributes: Record<string, string>;
          },
      );
    expect(new Set(rows.map((r) => r.service))).toEqual(new Set(['flapper', 'web']));
    const stop = rows.find((r) => r.service === 'web' && r.action === 'stop');
    expect(stop).toMatchObject({ type: 'container', attributes: { name: `${name}-web-1`, image: 'node' } });
    expect(Number.isNaN(Date.parse(stop!.time))).toBe(false);
  });

  it('rejects an unknown service', async () => {
    const p = await testProject(compose);
    expectCleanFailure(await runBerth(['events', 'nope'], { cwd: p.dir, env: p.env }));
  });
});
