import { describe, expect, it } from 'vitest';

import type { ContainerInfo } from '../../src/engine/types.js';
import {
  commandText,
  displayPorts,
  formatPsJson,
  formatPsTable,
  psJsonRow,
  runningFor,
  statusText,
} from '../../src/ui/ps-format.js';

const now = new Date('2024-05-06T12:00:00.000Z');
const ago = (seconds: number) => new Date(now.getTime() - seconds * 1000).toISOString();

function container(overrides: Partial<ContainerInfo> = {}): ContainerInfo {
  return {
    id: '3f1c9a7e5b2d4c6a8e0f1a2b3c4d5e6f',
    name: 'app-web-1',
    labels: {
      'com.docker.compose.service': 'web',
      'com.docker.compose.project': 'app',
      'com.docker.compose.container-number': '1',
    },
    project: 'app',
    service: 'web',
    number: 1,
    oneoff: false,
    configHash: 'abc',
    image: 'node:20-alpine',
    command: 'node server.js --port 8080',
    status: 'running',
    exitCode: 0,
    restartCount: 0,
    created: ago(65),
    startedAt: ago(5),
    publishers: [{ URL: '0.0.0.0', TargetPort: 80, PublishedPort: 8080, Protocol: 'tcp' }],
    ...overrides,
  };
}

describe('statusText', () => {
  const cases: [string, Partial<ContainerInfo>, string][] = [
    ['running', {}, 'Up 5 seconds'],
    ['running, healthy', { health: 'healthy' }, 'Up 5 seconds (healthy)'],
    ['running, unhealthy', { health: 'unhealthy', startedAt: ago(180) }, 'Up 3 minutes (unhealthy)'],
    [
      'running, starting',
      { health: 'starting', startedAt: ago(0.5) },
      'Up Less than a second (health: starting)',
    ],
    ['exited', { status: 'exited', exitCode: 1, finishedAt: ago(3) }, 'Exited (1) 3 seconds ago'],
    ['exited, never started', { status: 'exited', startedAt: undefined }, 'Created'],
    ['created', { status: 'created', startedAt: undefined }, 'Created'],
    ['paused', { status: 'paused', startedAt: ago(120) }, 'Up 2 minutes (Paused)'],
    ['restarting', { status: 'restarting', exitCode: 1, finishedAt: ago(2) }, 'Restarting (1) 2 seconds ago'],
    ['dead', { status: 'dead' }, 'Dead'],
    ['removing', { status: 'removing' }, 'Removal In Progress'],
  ];
  it.each(cases)('%s', (_name, overrides, text) => {
    expect(statusText(container(overrides), now)).toBe(text);
  });
});

describe('runningFor', () => {
  it('counts whole seconds since creation', () => {
    expect(runningFor(container({ created: ago(65.9) }), now)).toBe('About a minute ago');
    expect(runningFor(container({ created: ago(1.5) }), now)).toBe('2 seconds ago');
  });
});

describe('displayPorts', () => {
  const tcp = (URL: string, PublishedPort: number, TargetPort: number, Protocol = 'tcp') => ({
    URL,
    TargetPort,
    PublishedPort,
    Protocol,
  });
  it.each([
    ['a published port', [tcp('0.0.0.0', 8080, 80)], '0.0.0.0:8080->80/tcp'],
    [
      'IPv4 and IPv6',
      [tcp('::', 8080, 80), tcp('0.0.0.0', 8080, 80)],
      '0.0.0.0:8080->80/tcp, [::]:8080->80/tcp',
    ],
    ['an exposed port', [tcp('', 0, 9000)], '9000/tcp'],
    ['same host and container port', [tcp('127.0.0.1', 5432, 5432)], '127.0.0.1:5432->5432/tcp'],
    [
      'a range',
      [tcp('0.0.0.0', 8001, 8001), tcp('0.0.0.0', 8000, 8000), tcp('0.0.0.0', 8002, 8002)],
      '0.0.0.0:8000-8002->8000-8002/tcp',
    ],
    ['udp and tcp', [tcp('', 0, 53, 'udp'), tcp('', 0, 53)], '53/tcp, 53/udp'],
    [
      'exposed, then mapped last',
      [tcp('0.0.0.0', 8080, 80), tcp('', 0, 443)],
      '443/tcp, 0.0.0.0:8080->80/tcp',
    ],
    ['nothing', [], ''],
  ])('%s', (_name, publishers, text) => {
    expect(displayPorts(publishers)).toBe(text);
  });
});

describe('commandText', () => {
  it('quotes and cuts to 20 characters', () => {
    expect(commandText('node server.js --port 8080')).toBe('"node server.js --po…"');
    expect(commandText('node server.js --port 8080', true)).toBe('"node server.js --port 8080"');
    expect(commandText('sh -c "echo hi"')).toBe('"sh -c \\"echo hi\\""');
    expect(commandText('a\tb\u0001')).toBe('"a\\tb\\x01"');
  });
});

describe('formatPsTable', () => {
  it("prints compose's columns", () => {
    const rows = [
      container(),
      container({
        id: 'ffff',
        name: 'app-db-1',
        service: 'db',
        image: 'app-db',
        command: 'node db.js',
        status: 'exited',
        exitCode: 137,
        created: ago(7200),
        startedAt: ago(7100),
        finishedAt: ago(60),
        publishers: [],
      }),
    ];
    expect(formatPsTable(rows, { now })).toBe(
      [
        'NAME        IMAGE            COMMAND                  SERVICE   CREATED              STATUS                            PORTS',
        'app-web-1   node:20-alpine   "node server.js --po…"   web       About a minute ago   Up 5 seconds                      0.0.0.0:8080->80/tcp',
        'app-db-1    app-db           "node db.js"             db        2 hours ago          Exited (137) About a minute ago   ',
        '',
      ].join('\n'),
    );
  });
});

describe('ps --format json', () => {
  it('prints one object per line with compose’s fields', () => {
    const text = formatPsJson(
      [container({ health: 'healthy' }), container({ name: 'app-web-2', number: 2 })],
      {
        now,
      },
    );
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[0]!)).toEqual({
      Command: '"node server.js --po…"',
      CreatedAt: '2024-05-06 11:58:55 +0000 UTC',
      ExitCode: 0,
      Health: 'healthy',
      ID: '3f1c9a7e5b2d',
      Image: 'node:20-alpine',
      Labels:
        'com.docker.compose.container-number=1,com.docker.compose.project=app,com.docker.compose.service=web',
      Name: 'app-web-1',
      Names: 'app-web-1',
      Ports: '0.0.0.0:8080->80/tcp',
      Project: 'app',
      Publishers: [{ URL: '0.0.0.0', TargetPort: 80, PublishedPort: 8080, Protocol: 'tcp' }],
      RunningFor: 'About a minute ago',
      Service: 'web',
      State: 'running',
      Status: 'Up 5 seconds (healthy)',
    });
    expect(Object.keys(JSON.parse(lines[0]!) as object)).toEqual(
      Object.keys(JSON.parse(lines[0]!) as object).sort(),
    );
  });

  it('keeps full ids and commands with --no-trunc, and an empty Health without a healthcheck', () => {
    const row = psJsonRow(container({ status: 'exited', exitCode: 2, finishedAt: ago(10) }), {
      now,
      noTrunc: true,
    });
    expect(row.ID).toBe('3f1c9a7e5b2d4c6a8e0f1a2b3c4d5e6f');
    expect(row.Command).toBe('"node server.js --port 8080"');
    expect(row.Health).toBe('');
    expect(row.State).toBe('exited');
    expect(row.ExitCode).toBe(2);
    expect(row.Status).toBe('Exited (2) 10 seconds ago');
  });
});
