/**
 * The control protocol between RemoteEngine and serveEngine, over a real unix socket. The served
 * object is a small Engine over plain data: these tests are about the protocol, not the engine.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { RemoteEngine } from '../../../src/engine/local/control-client.js';
import { serveEngine, type ControlServer } from '../../../src/engine/local/control-server.js';
import type {
  ContainerInfo,
  Engine,
  EngineEvent,
  ExecPlan,
  ExecResult,
  FileSync,
  LogLine,
  LogsOptions,
  NetworkInfo,
  ProjectFilter,
  VolumeInfo,
} from '../../../src/engine/types.js';
import { ResourceInUseError } from '../../../src/engine/resource-in-use.js';
import { ComposeError, ComposeErrors } from '../../../src/project/errors.js';

function info(name: string, number: number): ContainerInfo {
  return {
    id: `id-${name}`,
    name,
    labels: {},
    project: 'app',
    service: 'web',
    number,
    oneoff: false,
    configHash: 'h',
    image: 'node',
    command: 'node server.js',
    status: 'running',
    exitCode: 0,
    restartCount: 0,
    created: '2024-01-01T00:00:00Z',
    publishers: [],
  };
}

/** Records what reached it; answers with plain data. */
class PlainEngine implements Engine {
  readonly kind = 'local' as const;
  readonly calls: unknown[][] = [];
  eventsReturned = 0;
  logCount = 3;
  releaseWait: (() => void) | undefined;

  async listContainers(filter: ProjectFilter): Promise<ContainerInfo[]> {
    this.calls.push(['listContainers', filter]);
    return [info('app-web-1', 1), info('app-web-2', 2)];
  }
  async listNetworks(): Promise<NetworkInfo[]> {
    return [];
  }
  async listVolumes(): Promise<VolumeInfo[]> {
    return [];
  }
  async listProjects(): Promise<{ name: string; status: string; configFiles: string }[]> {
    return [{ name: 'app', status: 'running(2)', configFiles: '/app/compose.yaml' }];
  }
  async inspectNetwork(name: string): Promise<NetworkInfo | undefined> {
    return name === 'app_default' ? { id: 'n1', name, labels: {} } : undefined;
  }
  async inspectVolume(): Promise<VolumeInfo | undefined> {
    return undefined;
  }
  async createNetwork(): Promise<NetworkInfo> {
    throw new Error('not used');
  }
  async removeNetwork(): Promise<void> {}
  async createVolume(): Promise<VolumeInfo> {
    throw new Error('not used');
  }
  async removeVolume(name: string): Promise<void> {
    const error: NodeJS.ErrnoException = new Error(`ENOENT: no such volume ${name}`);
    error.code = 'ENOENT';
    throw error;
  }
  async createContainer(): Promise<ContainerInfo> {
    throw new ComposeErrors([
      new ComposeError('first problem', { keyPath: ['services', 'a'] }),
      new ComposeError('second problem', { hint: 'fix it' }),
    ]);
  }
  async startContainer(id: string): Promise<void> {
    if (id === 'missing') {
      throw new ComposeError('port 8080 is already in use', {
        keyPath: ['services', 'web', 'ports', 0],
        location: { file: '/app/compose.yaml', line: 7, column: 9 },
        hint: 'stop what uses it or publish another port',
      });
    }
    this.calls.push(['startContainer', id]);
  }
  async stopContainer(id: string, timeoutSeconds?: number): Promise<void> {
    this.calls.push(['stopContainer', id, timeoutSeconds]);
  }
  async killContainer(id: string, signal?: string): Promise<void> {
    this.calls.push(['killContainer', id, signal]);
  }
  async restartContainer(): Promise<void> {}
  async pauseContainer(): Promise<void> {}
  async unpauseContainer(): Promise<void> {}
  async removeContainer(id: string, options?: { force?: boolean; volumes?: boolean }): Promise<void> {
    this.calls.push(['removeContainer', id, options]);
  }
  async renameContainer(): Promise<void> {}
  waitContainer(): Promise<number> {
    return new Promise((resolve) => (this.releaseWait = () => resolve(3)));
  }
  async inspectContainer(id: string): Promise<ContainerInfo> {
    return info(id, 1);
  }
  async *logs(ids: string[], options: LogsOptions): AsyncIterable<LogLine> {
    this.calls.push(['logs', ids, options]);
    for (let i = 0; i < this.logCount; i++) {
      yield {
        container: ids[0]!,
        service: 'web',
        number: 1,
        stream: 'stdout',
        time: `t${i}`,
        text: `line ${i}`,
      };
    }
    if (options.until === 'fail') throw new ComposeError('log file is damaged');
  }
  async exec(): Promise<ExecResult> {
    return { exitCode: 0 };
  }
  async prepareExec(): Promise<ExecPlan> {
    return { argv: ['ls'], env: { PATH: '/bin' }, cwd: '/' };
  }
  async syncFiles(id: string, changes: readonly FileSync[]): Promise<void> {
    this.calls.push(['syncFiles', id, changes]);
  }
  async top(): Promise<{ titles: string[]; processes: string[][] }> {
    return { titles: ['PID', 'CMD'], processes: [['1', 'node']] };
  }
  /** An endless stream that only ends when asked to return, like a follow. */
  events(filter: { project: string }): AsyncIterable<EngineEvent> {
    let n = 0;
    let wake: (() => void) | undefined;
    let stopped = false;
    const timer = setInterval(() => wake?.(), 5);
    return {
      [Symbol.asyncIterator]: () => ({
        next: async (): Promise<IteratorResult<EngineEvent>> => {
          if (stopped) return { value: undefined, done: true };
          await new Promise<void>((resolve) => (wake = resolve));
          n++;
          return {
            value: {
              time: `t${n}`,
              type: 'container',
              action: 'start',
              id: `${n}`,
              name: filter.project,
              attributes: {},
            },
            done: false,
          };
        },
        return: async (): Promise<IteratorResult<EngineEvent>> => {
          stopped = true;
          clearInterval(timer);
          this.eventsReturned++;
          return { value: undefined, done: true };
        },
      }),
    };
  }
  async close(): Promise<void> {}
}

let dir: string;
let socketPath: string;
let engine: PlainEngine;
let server: ControlServer | undefined;
const clients: RemoteEngine[] = [];

async function connect(): Promise<RemoteEngine> {
  const client = await RemoteEngine.connect(socketPath, { project: 'app', logFile: '/state/supervisor.log' });
  clients.push(client);
  return client;
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'berth-control-'));
  socketPath = path.join(dir, 'supervisor.sock');
  engine = new PlainEngine();
  server = await serveEngine(engine, socketPath, { project: 'app' });
});
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  await server?.close();
  server = undefined;
  await rm(dir, { recursive: true, force: true });
});

describe('control socket', () => {
  it('is private to the user', async () => {
    expect((await stat(socketPath)).mode & 0o777).toBe(0o600);
  });

  it('answers ping with the serving process', async () => {
    const client = await connect();
    const ping = await client.ping();
    expect(ping).toMatchObject({ protocol: 1, pid: process.pid, kind: 'local', project: 'app' });
  });

  it('round-trips calls with their arguments and results', async () => {
    const client = await connect();
    const containers = await client.listContainers({ project: 'app', all: true });
    expect(containers.map((c) => c.name)).toEqual(['app-web-1', 'app-web-2']);
    expect(await client.listProjects()).toEqual([
      { name: 'app', status: 'running(2)', configFiles: '/app/compose.yaml' },
    ]);
    await client.stopContainer('id-1');
    await client.stopContainer('id-2', 0);
    await client.killContainer('id-3', 'SIGINT');
    await client.removeContainer('id-4', { force: true });
    await client.syncFiles('id-5', [
      { target: '/app/a.txt', source: '/src/a.txt' },
      { target: '/app/b.txt' },
    ]);
    expect(engine.calls).toEqual([
      ['listContainers', { project: 'app', all: true }],
      ['stopContainer', 'id-1', undefined],
      ['stopContainer', 'id-2', 0],
      ['killContainer', 'id-3', 'SIGINT'],
      ['removeContainer', 'id-4', { force: true }],
      ['syncFiles', 'id-5', [{ target: '/app/a.txt', source: '/src/a.txt' }, { target: '/app/b.txt' }]],
    ]);
    expect(await client.inspectNetwork('app_default')).toEqual({ id: 'n1', name: 'app_default', labels: {} });
    expect(await client.inspectNetwork('other')).toBeUndefined();
    expect(await client.top('x')).toEqual({ titles: ['PID', 'CMD'], processes: [['1', 'node']] });
  });

  it('serves many requests at once on one connection, each answered in its own time', async () => {
    const client = await connect();
    const waiting = client.waitContainer('id-1').catch((e: unknown) => e);
    const quick = await Promise.all(Array.from({ length: 50 }, (_, i) => client.inspectContainer(`c${i}`)));
    expect(quick.map((c) => c.name)).toEqual(Array.from({ length: 50 }, (_, i) => `c${i}`));
    await until(() => engine.releaseWait !== undefined, 'waitContainer to reach the engine');
    engine.releaseWait!();
    expect(await waiting).toBe(3);
  });

  it('rebuilds a ComposeError with the same message and details', async () => {
    const client = await connect();
    const error = await client.startContainer('missing').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ComposeError);
    const e = error as ComposeError;
    expect(e.message).toBe(
      '/app/compose.yaml:7:9: services.web.ports[0]: port 8080 is already in use (stop what uses it or publish another port)',
    );
    expect(e.problem).toBe('port 8080 is already in use');
    expect(e.hint).toBe('stop what uses it or publish another port');
    expect(e.keyPath).toEqual(['services', 'web', 'ports', 0]);
  });

  it('rebuilds ComposeErrors and plain system errors', async () => {
    const client = await connect();
    const many = await client.createContainer({} as never).catch((e: unknown) => e);
    expect(many).toBeInstanceOf(ComposeErrors);
    expect((many as ComposeErrors).errors).toHaveLength(2);
    expect((many as Error).message).toBe('services.a: first problem\nsecond problem (fix it)');
    const system = (await client.removeVolume('v').catch((e: unknown) => e)) as NodeJS.ErrnoException;
    expect(system).toBeInstanceOf(Error);
    expect(system).not.toBeInstanceOf(ComposeError);
    expect(system.message).toBe('ENOENT: no such volume v');
    expect(system.code).toBe('ENOENT');
  });

  it('streams logs until their end', async () => {
    const client = await connect();
    const lines: string[] = [];
    for await (const line of client.logs(['id-1'], { tail: 10 })) lines.push(line.text);
    expect(lines).toEqual(['line 0', 'line 1', 'line 2']);
    expect(engine.calls).toEqual([['logs', ['id-1'], { tail: 10 }]]);
  });

  it('delivers a large stream completely (the server waits for a slow reader)', async () => {
    engine.logCount = 20_000;
    const client = await connect();
    let count = 0;
    for await (const line of client.logs(['id-1'], {})) {
      if (line.text !== `line ${count}`) throw new Error(`out of order at ${count}: ${line.text}`);
      count++;
      if (count % 1000 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    expect(count).toBe(20_000);
  });

  it('ends a stream with the error the engine raised', async () => {
    const client = await connect();
    const lines: string[] = [];
    const error = await (async () => {
      for await (const line of client.logs(['id-1'], { until: 'fail' })) lines.push(line.text);
    })().catch((e: unknown) => e);
    expect(lines).toHaveLength(3);
    expect(error).toBeInstanceOf(ComposeError);
    expect((error as Error).message).toBe('log file is damaged');
  });

  it('cancels an endless stream when the reader stops, and the connection stays usable', async () => {
    const client = await connect();
    const seen: string[] = [];
    for await (const event of client.events({ project: 'app' })) {
      seen.push(event.id);
      if (seen.length === 3) break;
    }
    expect(seen).toEqual(['1', '2', '3']);
    await until(() => engine.eventsReturned === 1, 'the engine stream to be returned');
    expect((await client.ping()).pid).toBe(process.pid);
  });

  it('cancels the streams of a client that disconnects', async () => {
    const client = await connect();
    const iterator = client.events({ project: 'app' })[Symbol.asyncIterator]();
    expect((await iterator.next()).done).toBe(false);
    await client.close();
    await until(() => engine.eventsReturned === 1, 'the engine stream to be returned');
    await expect(iterator.next()).rejects.toThrow(
      /connection to the berth supervisor of project "app" was closed/,
    );
  });

  it('rejects outstanding calls clearly when the server goes away', async () => {
    const client = await connect();
    const waiting = client.waitContainer('id-1').catch((e: unknown) => e);
    await until(() => engine.releaseWait !== undefined, 'waitContainer to reach the engine');
    await server!.close();
    server = undefined;
    const error = await waiting;
    expect(error).toBeInstanceOf(ComposeError);
    expect((error as Error).message).toMatch(
      /lost the connection to the berth supervisor of project "app" .*see \/state\/supervisor\.log/,
    );
    await expect(client.ping()).rejects.toThrow(/lost the connection/);
  });

  it('answers an unknown method with an error and ignores garbage ids', async () => {
    const auth = JSON.stringify({ auth: await readFile(`${socketPath}.token`, 'utf8') });
    const raw = createConnection(socketPath);
    const answer = await new Promise<string>((resolve) => {
      raw.once('connect', () =>
        raw.write(`${auth}\n{"id":"x","method":"ping"}\n{"id":7,"method":"constructor","params":[]}\n`),
      );
      raw.setEncoding('utf8');
      raw.on('data', (chunk: string) => resolve(chunk));
    });
    raw.destroy();
    expect(JSON.parse(answer)).toEqual({
      id: 7,
      error: { name: 'Error', message: 'control socket: unknown method "constructor"' },
    });
  });

  it('refuses to serve where another server answers, and replaces a dead socket file', async () => {
    await expect(serveEngine(engine, socketPath, { project: 'app' })).rejects.toThrow(
      /another process already serves project "app"/,
    );
    await server!.close();
    server = undefined;
    // A socket file nobody listens on, as a SIGKILLed host leaves it.
    const host = spawn(
      process.execPath,
      ['-e', `require('net').createServer().listen(${JSON.stringify(socketPath)}, () => console.log('up'))`],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise((resolve) => host.stdout.once('data', resolve));
    } finally {
      host.kill('SIGKILL');
    }
    await new Promise((resolve) => host.once('exit', resolve));
    expect((await stat(socketPath)).isSocket()).toBe(true);
    server = await serveEngine(engine, socketPath, { project: 'app' });
    expect((await (await connect()).ping()).pid).toBe(process.pid);
  });
});

describe('control socket: a resource still in use', () => {
  it('reaches the client as a ResourceInUseError, so that down can warn and carry on', async () => {
    engine.removeNetwork = async (): Promise<void> => {
      throw ResourceInUseError.of('network', 'app_default', 'app-web-1');
    };
    const client = await connect();
    const error = await client.removeNetwork('app_default').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResourceInUseError);
    expect((error as ResourceInUseError).message).toBe(
      'network app_default is in use by container app-web-1 (remove the container first)',
    );
    // The connection is still good for the next call.
    expect((await client.ping()).pid).toBe(process.pid);
  });
});
