/**
 * The pure parts of the Docker engine: demultiplexing log frames whatever the chunk boundaries, joining
 * a long message's parts, TTY logs, event lines, and the list endpoint's mapping to ContainerInfo.
 */
import type Dockerode from 'dockerode';
import { describe, expect, it } from 'vitest';

import { containerInfoFromSummary } from '../../../src/engine/docker/container-info.js';
import { engineEventOf, engineEvents } from '../../../src/engine/docker/event-stream.js';
import { type LogRecord, logRecords, unixSeconds } from '../../../src/engine/docker/log-stream.js';
import { mergeByTime } from '../../../src/engine/docker/merge-streams.js';

function frame(stream: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

async function* chunked(data: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let at = 0; at < data.length; at += size) yield data.subarray(at, at + size);
}

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
}

const T1 = '2024-05-01T10:00:00.000000001Z';
const T2 = '2024-05-01T10:00:00.500000000Z';

describe('logRecords', () => {
  const data = Buffer.concat([
    frame(1, `${T1} hello\n`),
    frame(2, `${T1} oops\n`),
    frame(1, `${T1} long `),
    frame(1, `${T2} line é\n`),
    frame(1, `${T2} last`),
  ]);
  const expected: LogRecord[] = [
    { stream: 'stdout', time: T1, text: 'hello' },
    { stream: 'stderr', time: T1, text: 'oops' },
    { stream: 'stdout', time: T1, text: 'long line é' },
    { stream: 'stdout', time: T2, text: 'last' },
  ];

  it('demultiplexes frames split anywhere, joining the parts of a long message', async () => {
    for (const size of [1, 3, 7, 8, 9, 1000]) {
      expect(await collect(logRecords(chunked(data, size), false))).toEqual(expected);
    }
    expect(await collect(logRecords(data, false))).toEqual(expected);
  });

  it('reads raw TTY logs, dropping the carriage returns', async () => {
    const raw = Buffer.from(`${T1} one\r\n${T2} two\r\n${T2} tail`);
    for (const size of [1, 5, 100]) {
      expect(await collect(logRecords(chunked(raw, size), true))).toEqual([
        { stream: 'stdout', time: T1, text: 'one' },
        { stream: 'stdout', time: T2, text: 'two' },
        { stream: 'stdout', time: T2, text: 'tail' },
      ]);
    }
  });

  it('turns ISO times into the API’s Unix seconds, nanoseconds kept', () => {
    expect(unixSeconds('2024-05-01T10:00:00.123456789Z')).toBe('1714557600.123456789');
    expect(unixSeconds('2024-05-01T12:00:00+02:00')).toBe('1714557600');
    expect(unixSeconds('yesterday')).toBeUndefined();
  });
});

describe('mergeByTime', () => {
  it('interleaves sorted sources by time and closes them all', async () => {
    let closed = 0;
    const source = (times: string[]) => ({
      items: (async function* () {
        yield* times;
      })(),
      close: () => closed++,
    });
    const merged = await collect(mergeByTime([source(['1', '4', '5']), source(['2', '3', '6'])], (t) => t));
    expect(merged).toEqual(['1', '2', '3', '4', '5', '6']);
    expect(closed).toBe(2);
  });
});

describe('engine events', () => {
  const line = JSON.stringify({
    status: 'die',
    id: 'abc',
    Type: 'container',
    Action: 'die',
    Actor: {
      ID: 'abc',
      Attributes: { exitCode: '3', image: 'busybox', name: 'p-web-1', 'com.docker.compose.project': 'p' },
    },
    scope: 'local',
    time: 1714557600,
  }).replace(/}$/, ',"timeNano":1714557600123456789}');

  it('maps a container event with its attributes and nanosecond time', () => {
    expect(engineEventOf(line)).toEqual({
      time: '2024-05-01T10:00:00.123456789Z',
      type: 'container',
      action: 'die',
      id: 'abc',
      name: 'p-web-1',
      attributes: { exitCode: '3', image: 'busybox', name: 'p-web-1', 'com.docker.compose.project': 'p' },
    });
    expect(engineEventOf('{"Type":"image","Action":"pull"}')).toBeUndefined();
    expect(engineEventOf('not json')).toBeUndefined();
  });

  it('reads events split across chunks', async () => {
    const health = JSON.stringify({
      Type: 'container',
      Action: 'health_status: healthy',
      Actor: { ID: 'abc', Attributes: { name: 'p-web-1' } },
      time: 1,
    });
    const events = await collect(engineEvents(chunked(Buffer.from(`${line}\n${health}\n`), 10)));
    expect(events.map((e) => e.action)).toEqual(['die', 'health_status: healthy']);
  });
});

describe('containerInfoFromSummary', () => {
  const summary = (state: string, status: string): Dockerode.ContainerInfo => ({
    Id: 'f'.repeat(64),
    Names: ['/p-web-2'],
    Image: 'sha256:1234',
    ImageID: 'sha256:1234',
    Command: "sh -c 'sleep 1'",
    Created: 1714557600,
    Ports: [
      { IP: '::', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
      { IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
      { PrivatePort: 53, Type: 'udp' } as Dockerode.Port,
    ],
    Labels: {
      'com.docker.compose.project': 'p',
      'com.docker.compose.service': 'web',
      'com.docker.compose.container-number': '2',
      'com.docker.compose.oneoff': 'False',
      'com.docker.compose.config-hash': 'h',
      'com.docker.compose.image': 'busybox:latest',
    },
    State: state,
    Status: status,
    HostConfig: { NetworkMode: 'default' },
    NetworkSettings: { Networks: {} },
    Mounts: [],
  });

  it('maps names, labels, image, ports, health and exit code from the list alone', () => {
    expect(containerInfoFromSummary(summary('running', 'Up 5 seconds (healthy)'))).toEqual({
      id: 'f'.repeat(64),
      name: 'p-web-2',
      labels: expect.any(Object),
      project: 'p',
      service: 'web',
      number: 2,
      oneoff: false,
      configHash: 'h',
      image: 'busybox:latest',
      imageId: 'sha256:1234',
      command: "sh -c 'sleep 1'",
      status: 'running',
      health: 'healthy',
      exitCode: 0,
      restartCount: 0,
      created: '2024-05-01T10:00:00.000Z',
      publishers: [
        { URL: '', TargetPort: 53, PublishedPort: 0, Protocol: 'udp' },
        { URL: '0.0.0.0', TargetPort: 80, PublishedPort: 8080, Protocol: 'tcp' },
        { URL: '::', TargetPort: 80, PublishedPort: 8080, Protocol: 'tcp' },
      ],
    });
    expect(containerInfoFromSummary(summary('exited', 'Exited (137) 2 minutes ago'))).toMatchObject({
      status: 'exited',
      exitCode: 137,
    });
    expect(containerInfoFromSummary(summary('running', 'Up 1 second (health: starting)')).health).toBe(
      'starting',
    );
  });
});
