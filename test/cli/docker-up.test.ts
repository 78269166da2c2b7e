/**
 * `up` on the Docker engine, through the real CLI against the real dockerd: names and labels as
 * docker compose's, convergence (a second up changes nothing, a change recreates only its service),
 * scaling, healthchecks and --wait, depends_on conditions, attached output and its exits, secrets,
 * configs and named volumes.
 */
import { expect, it } from 'vitest';

import {
  TEST_IMAGE,
  dockerProject,
  healthyDb,
  expectBefore,
  fetchText,
  ok,
  ps,
  sleeper,
  sleeperAfter,
  states,
} from './docker-fixture.js';
import { expectCleanFailure } from './helpers.js';
import { describeDocker } from '../support/docker.js';

const stack = (webLevel: string, dbLevel: string): string => `
services:
  db:
    image: ${TEST_IMAGE}
    command: ${sleeper}
    environment: { LEVEL: "${dbLevel}" }
    volumes: ["data:/data"]
  web:
    image: ${TEST_IMAGE}
    command: ${sleeper}
    environment: { LEVEL: "${webLevel}" }
    depends_on: [db]
volumes:
  data:
`;

describeDocker('berth up on the Docker engine', () => {
  it('creates <project>-<service>-<n> containers labelled as compose does, converges, scales, keeps volume data', async () => {
    const p = await dockerProject(stack('1', '1'));
    const first = await ok(p, ['--progress', 'plain', 'up', '-d']);
    expectBefore(first.stderr, `Container ${p.name}-db-1  Started`, `Container ${p.name}-web-1  Starting`);

    const containers = await p.containers();
    expect([...containers.keys()].sort()).toEqual([`${p.name}-db-1`, `${p.name}-web-1`]);
    const web = await p.inspect(`${p.name}-web-1`);
    expect(web.State.Running).toBe(true);
    expect(web.Config.Image).toBe(TEST_IMAGE);
    expect(web.Config.Env).toContain('LEVEL=1');
    expect(web.Config.Labels).toMatchObject({
      'com.docker.compose.project': p.name,
      'com.docker.compose.service': 'web',
      'com.docker.compose.container-number': '1',
      'com.docker.compose.oneoff': 'False',
      'com.docker.compose.project.working_dir': p.dir,
      'com.docker.compose.project.config_files': `${p.dir}/compose.yaml`,
      'com.docker.compose.depends_on': 'db:service_started:false',
    });
    expect(web.Config.Labels['com.docker.compose.config-hash']).toMatch(/^[0-9a-f]{64}$/);
    expect(web.Config.Labels['com.docker.compose.version']).toMatch(/^\d+\.\d+\.\d+/);
    // On the project's network, reachable by its service name.
    const network = web.NetworkSettings.Networks[`${p.name}_default`];
    expect(network, JSON.stringify(web.NetworkSettings.Networks)).toBeDefined();
    expect(network!.Aliases ?? []).toContain('web');
    const lookup = await p.berth(['exec', 'web', 'ping', '-c', '1', '-W', '2', 'db']);
    expect(lookup.exitCode, lookup.stdout + lookup.stderr).toBe(0);

    expect(Object.keys(await ps(p)).sort()).toEqual([`${p.name}-db-1`, `${p.name}-web-1`]);
    expect(Object.values(await states(p))).toEqual(['running', 'running']);

    // A second up with nothing changed touches nothing.
    const again = await ok(p, ['--progress', 'plain', 'up', '-d']);
    expect(again.stderr).not.toMatch(/Creat|Start|Recreat/);
    const unchanged = await p.containers();
    expect(unchanged.get(`${p.name}-web-1`)?.Id).toBe(containers.get(`${p.name}-web-1`)?.Id);
    expect(unchanged.get(`${p.name}-db-1`)?.Id).toBe(containers.get(`${p.name}-db-1`)?.Id);

    // A change of web recreates web only.
    await ok(p, ['exec', 'db', 'sh', '-c', 'echo kept > /data/file']);
    await p.write('compose.yaml', stack('2', '1'));
    const changed = await ok(p, ['--progress', 'plain', 'up', '-d']);
    expect(changed.stderr).toContain(`Container ${p.name}-web-1  Recreate`);
    expect(changed.stderr).not.toMatch(new RegExp(`${p.name}-db-1 +(Recreate|Creat|Start)`));
    const recreated = await p.containers();
    expect(recreated.get(`${p.name}-web-1`)?.Id).not.toBe(containers.get(`${p.name}-web-1`)?.Id);
    expect(recreated.get(`${p.name}-db-1`)?.Id).toBe(containers.get(`${p.name}-db-1`)?.Id);
    expect((await p.inspect(`${p.name}-web-1`)).Config.Env).toContain('LEVEL=2');

    // A recreated db finds its named volume as it was.
    await p.write('compose.yaml', stack('2', '2'));
    await ok(p, ['up', '-d']);
    expect((await p.containers()).get(`${p.name}-db-1`)?.Id).not.toBe(containers.get(`${p.name}-db-1`)?.Id);
    expect((await ok(p, ['exec', 'db', 'cat', '/data/file'])).stdout).toBe('kept\n');

    // --scale adds replicas, then removes the highest numbers.
    await ok(p, ['up', '-d', '--scale', 'web=3']);
    expect(await states(p)).toEqual({
      [`${p.name}-db-1`]: 'running',
      [`${p.name}-web-1`]: 'running',
      [`${p.name}-web-2`]: 'running',
      [`${p.name}-web-3`]: 'running',
    });
    expect((await p.inspect(`${p.name}-web-3`)).Config.Labels['com.docker.compose.container-number']).toBe(
      '3',
    );
    await ok(p, ['up', '-d', '--scale', 'web=1']);
    expect(Object.keys(await states(p)).sort()).toEqual([`${p.name}-db-1`, `${p.name}-web-1`]);
  }, 60_000);

  it('orders starts by depends_on conditions and waits for healthchecks with --wait', async () => {
    const p = await dockerProject(`
services:
${healthyDb}  migrate:
    image: ${TEST_IMAGE}
    command: ["sh", "-c", "sleep 1; echo migrated > /shared/done"]
    volumes: ["shared:/shared"]
  app:
    image: ${TEST_IMAGE}
    command: ${sleeperAfter('cat /shared/done')}
    volumes: ["shared:/shared"]
    depends_on:
      db: { condition: service_healthy }
      migrate: { condition: service_completed_successfully }
  web:
    image: ${TEST_IMAGE}
    command: ["sh", "-c", "trap 'exit 0' TERM; mkdir -p /www; echo hello from web > /www/index.html; httpd -f -p 8080 -h /www & wait"]
    ports: ["127.0.0.1::8080"]
    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"]
      interval: 300ms
volumes:
  shared:
`);
    const up = await ok(p, ['--progress', 'plain', 'up', '-d', '--wait', '--wait-timeout', '30']);
    expectBefore(up.stderr, 'Service db  Healthy', `Container ${p.name}-app-1  Starting`);
    expectBefore(up.stderr, 'Service migrate  Exited', `Container ${p.name}-app-1  Starting`);
    const [app, migrate] = await Promise.all([
      p.inspect(`${p.name}-app-1`),
      p.inspect(`${p.name}-migrate-1`),
    ]);
    expect(Date.parse(app.State.StartedAt)).toBeGreaterThanOrEqual(Date.parse(migrate.State.FinishedAt));
    expect((await ok(p, ['logs', '--no-log-prefix', 'app'])).stdout).toBe('migrated\n');

    // --wait returned once the healthchecks passed.
    const rows = await ps(p);
    expect(rows[`${p.name}-web-1`]).toMatchObject({ State: 'running', Health: 'healthy' });
    expect(rows[`${p.name}-db-1`]).toMatchObject({ State: 'running', Health: 'healthy' });
    expect(rows[`${p.name}-migrate-1`]).toMatchObject({ State: 'exited', ExitCode: 0 });
    const published = rows[`${p.name}-web-1`]!.Publishers.find((x) => x.TargetPort === 8080);
    expect(published).toMatchObject({ URL: '127.0.0.1', Protocol: 'tcp' });
    expect(await fetchText(`http://127.0.0.1:${published!.PublishedPort}/`)).toBe('hello from web\n');
  }, 60_000);

  it('fails clearly when --wait meets an unhealthy service, or a dependency fails its condition', async () => {
    const p = await dockerProject(`
services:
  sick:
    image: ${TEST_IMAGE}
    command: ${sleeper}
    healthcheck:
      test: ["CMD", "false"]
      interval: 200ms
      retries: 1
  job:
    image: ${TEST_IMAGE}
    command: ["sh", "-c", "exit 4"]
  needs-sick:
    image: ${TEST_IMAGE}
    command: ${sleeper}
    depends_on:
      sick: { condition: service_healthy }
  needs-job:
    image: ${TEST_IMAGE}
    command: ${sleeper}
    depends_on:
      job: { condition: service_completed_successfully }
`);
    const wait = await p.berth(['up', '-d', '--wait', '--wait-timeout', '20', 'sick']);
    expectCleanFailure(wait);
    expect(wait.stderr).toContain(`container ${p.name}-sick-1 is unhealthy`);

    const up = await p.berth(['up', '-d']);
    expectCleanFailure(up);
    expect(up.stderr).toContain(`dependency failed to start: container ${p.name}-sick-1 is unhealthy`);
    expect(up.stderr).toContain(`service "job" didn't complete successfully: exit 4`);
    const left = await states(p);
    expect(left[`${p.name}-needs-sick-1`] ?? 'created').toBe('created');
    expect(left[`${p.name}-needs-job-1`] ?? 'created').toBe('created');
  }, 60_000);

  it('attached: prefixes the output, ends when the containers end, --exit-code-from gives the code', async () => {
    const p = await dockerProject(`
services:
  job:
    image: ${TEST_IMAGE}
    command: ["sh", "-c", "echo working; echo complaining >&2; exit 3"]
  helper:
    image: ${TEST_IMAGE}
    command: ${sleeperAfter('echo helping')}
`);
    const run = await p.berth(['--progress', 'quiet', 'up', '--exit-code-from', 'job'], {
      timeoutMs: 15_000,
    });
    expect(run.stdout).toMatch(/^job-1 +\| working$/m);
    expect(run.stdout + run.stderr).toMatch(/^job-1 +\| complaining$/m);
    expect(run.stdout).toMatch(/^helper-1 +\| helping$/m);
    expect(run.stdout).toMatch(/job-1 exited with code 3/);
    expect(run.exitCode).toBe(3);
    // The others were stopped on the way out.
    expect((await p.inspect(`${p.name}-helper-1`)).State.Running).toBe(false);

    // --abort-on-container-exit: the first exit stops the rest.
    const abort = await p.berth(['--progress', 'quiet', 'up', '--abort-on-container-exit'], {
      timeoutMs: 15_000,
    });
    expect(abort.stdout).toMatch(/job-1 exited with code 3/);
    expect(abort.stderr).toContain('Aborting on container exit');
    expect(abort.exitCode).not.toBe(0);
    expect((await p.inspect(`${p.name}-helper-1`)).State.Running).toBe(false);
  }, 60_000);

  it('attached: one service prints `web-1  | ` lines and up exits 0 once every container ended', async () => {
    const p = await dockerProject(`
services:
  web:
    image: ${TEST_IMAGE}
    command: ["sh", "-c", "echo one; sleep 1; echo two"]
  other:
    image: ${TEST_IMAGE}
    command: ["sh", "-c", "echo other"]
`);
    const run = await p.berth(['--progress', 'quiet', 'up', 'web']);
    expect(run.stdout).toContain('web-1  | one\nweb-1  | two\n');
    expect(run.stdout).toMatch(/web-1 exited with code 0/);
    expect(run.exitCode).toBe(0);
    // Only web (and what it depends on) was started.
    expect(Object.keys(await states(p))).toEqual([`${p.name}-web-1`]);

    const plain = await p.berth(['--progress', 'quiet', 'up', '--no-log-prefix', 'web']);
    expect(plain.stdout).toContain('one\ntwo\n');
    expect(plain.stdout).not.toContain('web-1  | one');
  }, 60_000);

  it('mounts secrets and configs read-only at their targets, with their content', async () => {
    const p = await dockerProject(
      `
services:
  app:
    image: ${TEST_IMAGE}
    command: ${sleeper}
    secrets:
      - token
      - { source: token, target: /etc/app/token.txt }
    configs:
      - settings
      - { source: inline, target: /etc/app/inline.conf }
secrets:
  token: { file: ./token.txt }
configs:
  settings: { file: ./settings.conf }
  inline: { content: "inline config" }
`,
      { 'token.txt': 's3cret', 'settings.conf': 'level=3\n' },
    );
    await ok(p, ['up', '-d']);
    const cat = async (file: string): Promise<string> => (await ok(p, ['exec', 'app', 'cat', file])).stdout;
    expect(await cat('/run/secrets/token')).toBe('s3cret');
    expect(await cat('/etc/app/token.txt')).toBe('s3cret');
    expect(await cat('/settings')).toBe('level=3\n');
    expect(await cat('/etc/app/inline.conf')).toBe('inline config');
    const write = await p.berth(['exec', 'app', 'sh', '-c', 'echo x > /run/secrets/token']);
    expect(write.exitCode).not.toBe(0);
    expect(await cat('/run/secrets/token')).toBe('s3cret');
  }, 60_000);
});
