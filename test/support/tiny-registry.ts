/**
 * A minimal Docker Registry (HTTP API v2) for pull tests without the internet: it serves one image,
 * taken from the local engine with `docker save` (GET /images/{name}/get), as a schema 2 manifest with
 * gzipped layers, on 127.0.0.1 (which dockerd treats as an insecure registry, so plain HTTP works).
 * Optionally it asks for HTTP basic credentials, and it logs the requests it answers.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';

import type Dockerode from 'dockerode';
import { extract, pack } from 'tar-stream';

export interface TinyRegistryOptions {
  /** The local image to serve (`berth-test/busybox:latest`). */
  image: string;
  /** Repository path it is served as (`berthtest/busybox`). */
  repository: string;
  tags: string[];
  /** When set, every request must carry these basic credentials. */
  credentials?: { username: string; password: string };
}

export interface TinyRegistry {
  /** `127.0.0.1:PORT`. */
  host: string;
  /** `127.0.0.1:PORT/<repository>:<tag>`. */
  reference(tag: string): string;
  /** `GET /v2/<repo>/manifests/x`, ... in order. */
  requests: string[];
  close(): Promise<void>;
}

interface Blob {
  mediaType: string;
  content: Buffer;
  digest: string;
}

const MANIFEST_TYPE = 'application/vnd.docker.distribution.manifest.v2+json';

export async function startTinyRegistry(
  docker: Dockerode,
  options: TinyRegistryOptions,
): Promise<TinyRegistry> {
  const files = await savedImage(docker, options.image);
  const saved = JSON.parse(files.get('manifest.json')!.toString('utf8')) as {
    Config: string;
    Layers: string[];
  }[];
  const entry = saved[0]!;
  const blobs = new Map<string, Blob>();
  const addBlob = (mediaType: string, content: Buffer): Blob => {
    const blob = { mediaType, content, digest: sha256(content) };
    blobs.set(blob.digest, blob);
    return blob;
  };
  // One more layer, with a file unique to this registry, makes the image new to the engine: a pull then
  // really downloads and extracts a layer instead of finding everything present.
  const marker = await markerLayer(`etc/tiny-registry-${randomUUID()}`);
  const layerTars = [...entry.Layers.map((layer) => files.get(layer)!), marker];
  const imageConfig = JSON.parse(files.get(entry.Config)!.toString('utf8')) as {
    rootfs: { type: string; diff_ids: string[] };
    history?: { created: string; created_by: string }[];
  };
  imageConfig.rootfs.diff_ids.push(sha256(marker));
  imageConfig.history?.push({ created: new Date().toISOString(), created_by: 'tiny-registry marker layer' });
  const config = addBlob(
    'application/vnd.docker.container.image.v1+json',
    Buffer.from(JSON.stringify(imageConfig)),
  );
  const layers = layerTars.map((tar) =>
    addBlob('application/vnd.docker.image.rootfs.diff.tar.gzip', gzipSync(tar)),
  );
  const descriptor = (blob: Blob): object => ({
    mediaType: blob.mediaType,
    size: blob.content.length,
    digest: blob.digest,
  });
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MANIFEST_TYPE,
      config: descriptor(config),
      layers: layers.map(descriptor),
    }),
  );
  const manifestDigest = sha256(manifest);

  const requests: string[] = [];
  const server = createServer((request, response) => {
    const method = request.method ?? 'GET';
    const url = new URL(request.url ?? '/', 'http://registry');
    requests.push(`${method} ${url.pathname}`);
    if (options.credentials !== undefined && !authorised(request, options.credentials)) {
      response.setHeader('WWW-Authenticate', 'Basic realm="tiny-registry"');
      return error(response, 401, 'UNAUTHORIZED', 'authentication required');
    }
    response.setHeader('Docker-Distribution-API-Version', 'registry/2.0');
    if (url.pathname === '/v2/' || url.pathname === '/v2')
      return send(response, method, 'application/json', Buffer.from('{}'));
    const match = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(url.pathname);
    if (match === null || match[1] !== options.repository) {
      return error(response, 404, 'NAME_UNKNOWN', 'repository name not known to registry');
    }
    const reference = decodeURIComponent(match[3]!);
    if (match[2] === 'manifests') {
      if (!options.tags.includes(reference) && reference !== manifestDigest) {
        return error(response, 404, 'MANIFEST_UNKNOWN', 'manifest unknown');
      }
      response.setHeader('Docker-Content-Digest', manifestDigest);
      return send(response, method, MANIFEST_TYPE, manifest);
    }
    const blob = blobs.get(reference);
    if (blob === undefined) return error(response, 404, 'BLOB_UNKNOWN', 'blob unknown to registry');
    response.setHeader('Docker-Content-Digest', blob.digest);
    return send(response, method, 'application/octet-stream', blob.content);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    host,
    reference: (tag) => `${host}/${options.repository}:${tag}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The files of `docker save`'s tar, by path. */
async function savedImage(docker: Dockerode, image: string): Promise<Map<string, Buffer>> {
  const stream = await docker.getImage(image).get();
  const files = new Map<string, Buffer>();
  const reader = extract();
  reader.on('entry', (header, content, next) => {
    const chunks: Buffer[] = [];
    content.on('data', (chunk: Buffer) => chunks.push(chunk));
    content.on('end', () => {
      if (header.type === 'file') files.set(header.name, Buffer.concat(chunks));
      next();
    });
    content.resume();
  });
  await new Promise<void>((resolve, reject) => {
    reader.on('finish', resolve);
    reader.on('error', reject);
    stream.pipe(reader);
  });
  return files;
}

/** A layer tar holding one small file. */
async function markerLayer(name: string): Promise<Buffer> {
  const tar = pack();
  const chunks: Buffer[] = [];
  tar.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<void>((resolve, reject) => {
    tar.on('end', resolve);
    tar.on('error', reject);
  });
  tar.entry({ name, mode: 0o644, mtime: new Date(0), uid: 0, gid: 0 }, `${name}\n`.repeat(4096));
  tar.finalize();
  await done;
  return Buffer.concat(chunks);
}

function authorised(request: IncomingMessage, credentials: { username: string; password: string }): boolean {
  const expected = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
  return request.headers.authorization === expected;
}

function send(response: ServerResponse, method: string, type: string, body: Buffer): void {
  response.writeHead(200, { 'Content-Type': type, 'Content-Length': body.length });
  response.end(method === 'HEAD' ? undefined : body);
}

function error(response: ServerResponse, status: number, code: string, message: string): void {
  const body = Buffer.from(JSON.stringify({ errors: [{ code, message, detail: null }] }));
  response.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': body.length });
  response.end(body);
}

function sha256(content: Buffer): string {
  return `sha256:${createHash('sha256').update(content).digest('hex')}`;
}
