/**
 * `berth stack deploy` and `berth stack rm` through the real CLI on a real single-node swarm: a project
 * written for development (scale, restart, long depends_on, container_name, expose, develop.watch, a
 * bridge network, an env_file, a one-shot migration) is converted and deployed; every service must run
 * its replicas, the one-shot must complete and stay complete, a `mode: host` port must answer from the
 * host and tasks must reach each other over the converted overlay network by `tasks.<service>` (this
 * kernel has no IPVS: ingress ports and service VIPs do not answer, DNS round-robin does).
 */

import { describe, expect, it } from 'vitest';

import { type BerthRun, expectCleanFailure, runBerth, tempProject } from './helpers.js';
import { cleanupsAfterEach } from '../support/cleanups.js';
import { TEST_IMAGE } from '../support/docker.js';
import { fetchText } from '../support/http.js';
import { freePort } from '../support/processes.js';
import {
  describeSwarm,
  docker,
  dockerCli,
  removeStack,
  runningContainers,
  stackLeftovers,
  stackService,
  swarmCli,
  uniqueStackName,
  waitForStack,
  waitUntilStackGone,
} from '../support/swarm.js';

/** busybox httpd on 8080 serving `page` (shell words), ending at once on SIGTERM (PID 1 ignores it untrapped). */
const httpd = (page: string): string =>
  `["sh", "-c", "trap 'exit 0' TERM; mkdir -p /www; ${page} > /www/index.html; httpd -f -p 8080 -h /www & wait"]`;

const compose = (port: number): string => `
services:
  migrate:
    image: ${TEST_IMAGE}
    command: ["true"]
  api:
    image: ${TEST_IMAGE}
    command: ${httpd('echo $$API_GREETING from $$(hostname)')}
    env_file: api.env
    deploy:
      replicas: 2
    networks: [backend]
    depends_on:
      migrate:
        condition: service_completed_successfully
  web:
    image: ${TEST_IMAGE}
    command: ${httpd('hostname')}
    scale: 3
    restart: always
    expose: ["8080"]
    networks: [default, backend]
    depends_on:
      api:
        condition: service_started
      migrate:
        condition: service_completed_successfully
    develop:
      watch:
        - path: ./www
          action: restart
  edge:
    image: ${TEST_IMAGE}
    command: ${httpd('hostname')}
    container_name: edge-dev
    ports:
      - target: 8080
        published: "${port}"
        mode: host
    depends_on:
      web:
        condition: service_started
networks:
  backend:
    driver: bridge
`;

/**
 * The addresses `tasks.<service>` resolves to inside a container (one per running task), once there are
 * `count`: the embedded DNS learns of new tasks a moment after they run.
 */
async function taskAddresses(container: string, service: string, count: number): Promise<string[]> {
  const deadline = Date.now() + 30_000;
  const pattern = new RegExp(`^Name:\\s*tasks\\.${service}\\s*\\nAddress:\\s*(\\S+)`, 'gm');
  for (;;) {
    const run = await dockerCli(['exec', container, 'nslookup', `tasks.${service}`], { timeoutMs: 15_000 });
    const said = run.stdout + run.stderr;
    const addresses = [...said.matchAll(pattern)].map((m) => m[1] ?? '').sort();
    if (addresses.length === count) return addresses;
    if (Date.now() > deadline) {
      throw new Error(`tasks.${service} did not resolve to ${count} addresses:\n${said}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** `wget -qO- url` inside a container. (No `-T`: the image's static busybox wget crashes with it on this engine.) */
async function wgetIn(container: string, url: string): Promise<string> {
  const run = await dockerCli(['exec', container, 'wget', '-qO-', url], { timeoutMs: 15_000 });
  expect(run.exitCode, `wget ${url} in ${container}: ${run.stderr}`).toBe(0);
  return run.stdout.trim();
}

const shortIds = (ids: string[]): string[] => ids.map((id) => id.slice(0, 12)).sort();

const defer = cleanupsAfterEach(120_000);

/** The project in a temp folder, and a stack name; both removed after the test, whatever happened. */
async function deployable(port: number, swarm = true): Promise<{ dir: string; stack: string }> {
  const project = await tempProject({
    'compose.yaml': compose(port),
    'api.env': 'API_GREETING=hello from the env file\n',
    'www/index.html': 'watched in development\n',
  });
  const stack = uniqueStackName();
  defer(project.cleanup);
  if (swarm) defer(() => removeStack(stack, 90_000));
  return { dir: project.dir, stack };
}

function expectOk(run: BerthRun, what: string): void {
  expect(run.exitCode, `${what}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`).toBe(0);
  expect(run.stderr, `${what}: a stack trace`).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/);
}

describeSwarm('berth stack deploy and stack rm on a real swarm', () => {
  it('deploys a development project as Swarm runs it, serves, and removes it', async () => {
    const port = await freePort();
    const { dir, stack } = await deployable(port);
    const env = { BERTH_DOCKER_CLI: swarmCli() };
    // No --stack-version: berth asks the CLI for the newest it deploys (Debian's docker.io 20.10 stops at 3.9).
    const deploy = await runBerth(['stack', 'deploy', stack], {
      cwd: dir,
      env,
      timeoutMs: 120_000,
    });
    expectOk(deploy, 'berth stack deploy');
    // What the conversion changed, one line each on stderr.
    for (const line of [
      /^services\.web\.scale: rewritten: .*deploy\.replicas/m,
      /^services\.web\.restart: rewritten: .*condition: any/m,
      /^services\.web\.depends_on: dropped: /m,
      /^services\.web\.expose: dropped: /m,
      /^services\.web\.develop: dropped: /m,
      /^services\.api\.depends_on: dropped: /m,
      /^services\.api\.env_file: rewritten: /m,
      /^services\.edge\.container_name: dropped: /m,
      /^services\.migrate\.deploy\.restart_policy\.condition: added: none/m,
      /^networks\.backend\.driver: rewritten: overlay/m,
    ]) {
      expect(deploy.stderr).toMatch(line);
    }
    // docker stack deploy's own output, passed on.
    expect(deploy.stdout + deploy.stderr).toContain(`Creating service ${stack}_web`);

    await waitForStack(stack, { web: 3, edge: 1, api: 2, migrate: 'complete' }, 90_000);
    const listed = await dockerCli([
      'service',
      'ls',
      '--filter',
      `label=com.docker.stack.namespace=${stack}`,
      '--format',
      '{{.Name}} {{.Replicas}}',
    ]);
    expect(listed.stdout.split('\n').sort()).toEqual(
      expect.arrayContaining([`${stack}_api 2/2`, `${stack}_edge 1/1`, `${stack}_web 3/3`]),
    );
    const migrated = await dockerCli(['service', 'ps', `${stack}_migrate`, '--format', '{{.CurrentState}}']);
    expect(migrated.stdout.trim()).toMatch(/^Complete /);

    // The deployed services have what the conversion promised.
    const web = await stackService(stack, 'web');
    expect(web.Spec?.Mode?.Replicated?.Replicas).toBe(3);
    expect(web.Spec?.TaskTemplate?.RestartPolicy?.Condition).toBe('any');
    const api = await stackService(stack, 'api');
    expect(api.Spec?.Mode?.Replicated?.Replicas).toBe(2);
    const apiTemplate = api.Spec?.TaskTemplate;
    const apiEnv =
      apiTemplate !== undefined && 'ContainerSpec' in apiTemplate ? apiTemplate.ContainerSpec?.Env : [];
    expect(apiEnv).toContain('API_GREETING=hello from the env file');
    const migrate = await stackService(stack, 'migrate');
    expect(migrate.Spec?.TaskTemplate?.RestartPolicy?.Condition).toBe('none');
    const edge = await stackService(stack, 'edge');
    expect(edge.Spec?.EndpointSpec?.Ports).toEqual([
      expect.objectContaining({
        TargetPort: 8080,
        PublishedPort: port,
        PublishMode: 'host',
        Protocol: 'tcp',
      }),
    ]);
    const backend = await docker.getNetwork(`${stack}_backend`).inspect();
    expect(backend).toMatchObject({ Driver: 'overlay', Scope: 'swarm' });
    for (const service of [web, api]) {
      const networks = (service.Spec?.TaskTemplate?.Networks ?? []).map((n) => n.Target);
      expect(networks, service.Spec?.Name).toContain(backend.Id);
    }

    // From the host, through the `mode: host` port: edge's one task answers with its hostname.
    const [edgeContainer] = await runningContainers(stack, 'edge');
    expect(edgeContainer).toBeDefined();
    expect((await fetchText(`http://127.0.0.1:${port}/`, 30_000)).trim()).toBe(edgeContainer!.slice(0, 12));

    // Inside a web task, over the overlay network: tasks.api names both api tasks, each answers with
    // the greeting from the env file and its own hostname.
    const webContainers = await runningContainers(stack, 'web');
    expect(webContainers).toHaveLength(3);
    const from = webContainers[0]!;
    const apiHosts = shortIds(await runningContainers(stack, 'api'));
    const apiAddresses = await taskAddresses(from, 'api', 2);
    const answers = await Promise.all(apiAddresses.map((ip) => wgetIn(from, `http://${ip}:8080/`)));
    expect(answers.sort()).toEqual(apiHosts.map((host) => `hello from the env file from ${host}`));
    expect(apiHosts.map((host) => `hello from the env file from ${host}`)).toContain(
      await wgetIn(from, 'http://tasks.api:8080/'),
    );
    // And web's own replicas, from edge (on the default network only): three tasks, three hostnames.
    const webAddresses = await taskAddresses(edgeContainer!, 'web', 3);
    const webAnswers = await Promise.all(
      webAddresses.map((ip) => wgetIn(edgeContainer!, `http://${ip}:8080/`)),
    );
    expect(webAnswers.sort()).toEqual(shortIds(webContainers));

    const removed = await runBerth(['stack', 'rm', stack], { cwd: dir, env, timeoutMs: 60_000 });
    expectOk(removed, 'berth stack rm');
    expect(removed.stdout + removed.stderr).toContain(`Removing service ${stack}_web`);
    await waitUntilStackGone(stack, 90_000);
    expect(await stackLeftovers(stack)).toEqual([]);
  }, 300_000);
});

describe('berth stack deploy without a docker CLI', () => {
  it('fails with a clear message naming the missing CLI, and no stack trace', async () => {
    const { dir, stack } = await deployable(8080, false);
    const missing = '/nonexistent/berth-test/docker';
    const run = await runBerth(['stack', 'deploy', stack], { cwd: dir, env: { BERTH_DOCKER_CLI: missing } });
    expectCleanFailure(run);
    expect(run.stderr).toContain(missing);
    expect(run.stdout).toBe('');
  });
});
