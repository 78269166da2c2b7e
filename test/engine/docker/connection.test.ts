/**
 * Where berth looks for a Docker engine, and what the user sees when none answers. The TLS case goes
 * through a real TLS listener that checks client certificates (made by openssl here) and relays to
 * the local dockerd, as a remote engine with DOCKER_TLS_VERIFY would be reached.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { connectDocker, DEFAULT_SOCKET, dockerEndpoint } from '../../../src/engine/docker/connection.js';
import { ComposeError } from '../../../src/project/errors.js';
import { describeDocker } from '../../support/docker.js';

describe('dockerEndpoint', () => {
  it('uses the default socket without DOCKER_HOST', () => {
    expect(dockerEndpoint({})).toEqual({
      address: `unix://${DEFAULT_SOCKET}`,
      options: { socketPath: DEFAULT_SOCKET },
    });
    expect(dockerEndpoint({ DOCKER_HOST: '' }).options).toEqual({ socketPath: DEFAULT_SOCKET });
  });

  it('reads unix:// and tcp:// addresses, with the default ports', () => {
    expect(dockerEndpoint({ DOCKER_HOST: 'unix:///run/podman/podman.sock' }).options).toEqual({
      socketPath: '/run/podman/podman.sock',
    });
    expect(dockerEndpoint({ DOCKER_HOST: 'tcp://127.0.0.1:2375' }).options).toEqual({
      host: '127.0.0.1',
      port: 2375,
      protocol: 'http',
    });
    expect(dockerEndpoint({ DOCKER_HOST: 'tcp://[::1]' }).options).toMatchObject({ host: '::1', port: 2375 });
  });

  it('turns TLS on with DOCKER_TLS_VERIFY and reads the files from DOCKER_CERT_PATH', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'berth-certs-'));
    try {
      for (const name of ['ca.pem', 'cert.pem', 'key.pem']) writeFileSync(path.join(dir, name), name);
      const endpoint = dockerEndpoint({
        DOCKER_HOST: 'tcp://engine.example:2376',
        DOCKER_TLS_VERIFY: '1',
        DOCKER_CERT_PATH: dir,
      });
      expect(endpoint.options).toMatchObject({ host: 'engine.example', port: 2376, protocol: 'https' });
      expect(String(endpoint.options.ca)).toBe('ca.pem');
      expect(String(endpoint.options.key)).toBe('key.pem');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses addresses it cannot use, saying how to write them', () => {
    const bad = (host: string): string => {
      try {
        dockerEndpoint({ DOCKER_HOST: host });
      } catch (error) {
        expect(error).toBeInstanceOf(ComposeError);
        return (error as Error).message;
      }
      throw new Error(`accepted ${host}`);
    };
    expect(bad('ssh://me@engine')).toMatch(/not ssh:\/\//);
    expect(bad('engine:2375')).toMatch(/tcp:\/\/host:port/);
    expect(bad('unix://')).toMatch(/socket path/);
    expect(() =>
      dockerEndpoint({
        DOCKER_HOST: 'tcp://h:2376',
        DOCKER_TLS_VERIFY: '1',
        DOCKER_CERT_PATH: '/nonexistent',
      }),
    ).toThrow(/cannot read the TLS file \/nonexistent\/ca.pem/);
  });

  it('says where it looked when no engine answers', async () => {
    const socket = path.join(tmpdir(), `berth-no-engine-${process.pid}.sock`);
    await expect(connectDocker({ DOCKER_HOST: `unix://${socket}` })).rejects.toThrow(
      `cannot connect to the Docker engine at unix://${socket}: no such socket`,
    );
    // A port nobody listens on.
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await expect(connectDocker({ DOCKER_HOST: `tcp://127.0.0.1:${port}` })).rejects.toThrow(
      /connection refused.*is dockerd running|check DOCKER_HOST/,
    );
  });
});

describeDocker('connectDocker on the real engine', () => {
  it('answers on the default socket with its versions', async () => {
    const connection = await connectDocker({});
    expect(connection.address).toBe(`unix://${DEFAULT_SOCKET}`);
    expect(connection.apiVersion).toMatch(/^1\.\d+$/);
    expect((await connection.docker.ping()).toString()).toBe('OK');
  });

  describe('over TLS with client certificates', () => {
    let dir: string;
    let server: tls.Server;
    let port: number;

    beforeAll(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'berth-tls-'));
      const ssl = (...args: string[]): void => {
        execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
      };
      ssl(
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=berth-ca',
        '-keyout',
        'ca-key.pem',
        '-out',
        'ca.pem',
      );
      for (const [name, cn] of [
        ['server', '127.0.0.1'],
        ['client', 'client'],
      ] as const) {
        ssl(
          'req',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-subj',
          `/CN=${cn}`,
          '-keyout',
          `${name}-key.pem`,
          '-out',
          `${name}.csr`,
        );
        writeFileSync(
          path.join(dir, `${name}.ext`),
          name === 'server' ? 'subjectAltName=IP:127.0.0.1\n' : 'extendedKeyUsage=clientAuth\n',
        );
        ssl(
          'x509',
          '-req',
          '-in',
          `${name}.csr`,
          '-CA',
          'ca.pem',
          '-CAkey',
          'ca-key.pem',
          '-CAcreateserial',
          '-days',
          '1',
          '-extfile',
          `${name}.ext`,
          '-out',
          `${name}.pem`,
        );
      }
      // The layout the docker CLI expects in DOCKER_CERT_PATH.
      writeFileSync(path.join(dir, 'cert.pem'), readFileSync(path.join(dir, 'client.pem')));
      writeFileSync(path.join(dir, 'key.pem'), readFileSync(path.join(dir, 'client-key.pem')));
      server = tls.createServer(
        {
          key: readFileSync(path.join(dir, 'server-key.pem')),
          cert: readFileSync(path.join(dir, 'server.pem')),
          ca: readFileSync(path.join(dir, 'ca.pem')),
          requestCert: true,
          rejectUnauthorized: true,
        },
        (socket) => {
          const engine = net.connect(DEFAULT_SOCKET);
          socket.pipe(engine).pipe(socket);
          const end = (): void => {
            socket.destroy();
            engine.destroy();
          };
          socket.on('error', end);
          engine.on('error', end);
        },
      );
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as net.AddressInfo).port;
    });

    afterAll(async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    });

    it('connects with DOCKER_TLS_VERIFY and the certificates of DOCKER_CERT_PATH', async () => {
      const connection = await connectDocker({
        DOCKER_HOST: `tcp://127.0.0.1:${port}`,
        DOCKER_TLS_VERIFY: '1',
        DOCKER_CERT_PATH: dir,
      });
      expect(connection.address).toBe(`tcp://127.0.0.1:${port}`);
      expect(Array.isArray(await connection.docker.listContainers({ limit: 1 }))).toBe(true);
    });

    it('fails clearly without TLS against a TLS engine', async () => {
      await expect(
        connectDocker({ DOCKER_HOST: `tcp://127.0.0.1:${port}` }, { timeoutMs: 3_000 }),
      ).rejects.toThrow(`cannot connect to the Docker engine at tcp://127.0.0.1:${port}`);
    });
  });
});
