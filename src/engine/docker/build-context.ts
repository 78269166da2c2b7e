/**
 * The build context sent to the engine's classic builder: a tar of the context folder without what
 * .dockerignore excludes (BuildKit's `<Dockerfile>.dockerignore` next to the Dockerfile wins over the
 * context's), always with the Dockerfile and .dockerignore themselves, as the docker CLI sends them.
 * An inline Dockerfile, or one outside the context, travels in the tar under a generated name.
 */
import { createHash } from 'node:crypto';
import { createReadStream, type Stats } from 'node:fs';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';

import type { Ignore } from '@balena/dockerignore';
import { pack, type Pack } from 'tar-stream';

import { ComposeError } from '../../project/errors.js';
import { compileDockerignore, readDockerignore } from '../dockerignore.js';

export interface BuildContextSpec {
  /** The service, for error messages. */
  serviceName: string;
  /** Absolute path of the context folder. */
  context: string;
  /** Relative to the context (or absolute). */
  dockerfile?: string;
  dockerfileInline?: string;
}

export interface DockerfileSource {
  content: string;
  /** Its path inside the tar, as /build's `dockerfile` parameter names it. */
  nameInContext: string;
  /** Where it is on disk (undefined when inline). */
  file?: string;
  /** False when the tar must carry a copy (inline, or outside the context). */
  insideContext: boolean;
}

export interface PackedContext {
  stream: Pack;
  dockerfile: string;
}

/** The Dockerfile a build uses, read from disk or inline; a ComposeError when it cannot be read. */
export async function dockerfileSource(spec: BuildContextSpec): Promise<DockerfileSource> {
  if (spec.dockerfileInline !== undefined) {
    return {
      content: spec.dockerfileInline,
      nameInContext: generatedName(spec.dockerfileInline),
      insideContext: false,
    };
  }
  const file = path.resolve(spec.context, spec.dockerfile ?? 'Dockerfile');
  let content: string;
  try {
    content = await readFile(file, 'utf8');
  } catch (error) {
    throw new ComposeError(
      `service "${spec.serviceName}": cannot read the Dockerfile ${file}: ${reason(error)}`,
      {
        keyPath: ['services', spec.serviceName, 'build', 'dockerfile'],
        hint: 'build.dockerfile is relative to build.context; check both, or use build.dockerfile_inline',
        cause: error,
      },
    );
  }
  const relative = path.relative(spec.context, file);
  const inside = relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
  return inside
    ? { content, nameInContext: toPosix(relative), file, insideContext: true }
    : { content, nameInContext: generatedName(content), file, insideContext: false };
}

/** Starts streaming the context's tar; read errors destroy the stream with a ComposeError. */
export async function packBuildContext(spec: BuildContextSpec): Promise<PackedContext> {
  const dockerfile = await dockerfileSource(spec);
  const rules = await readDockerignore(spec.context, dockerfile.file);
  const matcher = compileDockerignore(rules);
  const negations = rules.some((rule) => rule.trim().startsWith('!'));
  const always = new Set(['.dockerignore']);
  if (dockerfile.insideContext) always.add(dockerfile.nameInContext);
  const tar = pack();
  const walk: Walk = { root: spec.context, tar, matcher, negations, always, serviceName: spec.serviceName };
  void (async () => {
    await addFolder(walk, '');
    if (!dockerfile.insideContext) {
      await addBuffer(tar, dockerfile.nameInContext, Buffer.from(dockerfile.content, 'utf8'));
    }
    tar.finalize();
  })().catch((error: unknown) => tar.destroy(error instanceof Error ? error : new Error(String(error))));
  return { stream: tar, dockerfile: dockerfile.nameInContext };
}

interface Walk {
  root: string;
  tar: Pack;
  matcher: Ignore;
  negations: boolean;
  always: Set<string>;
  serviceName: string;
}

async function addFolder(walk: Walk, relative: string): Promise<void> {
  const absolute = path.join(walk.root, relative);
  let names: string[];
  try {
    names = (await readdir(absolute)).sort();
  } catch (error) {
    throw unreadable(walk, absolute, error);
  }
  for (const name of names) {
    const child = relative === '' ? name : `${relative}/${name}`;
    const file = path.join(walk.root, child);
    let stats: Stats;
    try {
      stats = await lstat(file);
    } catch (error) {
      throw unreadable(walk, file, error);
    }
    const excluded = walk.matcher.ignores(child) && !walk.always.has(child);
    if (stats.isDirectory()) {
      // An excluded folder is still walked when an exception (`!dir/keep`) or a file that is always sent may lie inside.
      const wanted = [...walk.always].some((keep) => keep.startsWith(`${child}/`));
      if (excluded && !walk.negations && !wanted) continue;
      if (!excluded)
        await addEntry(walk.tar, {
          name: child,
          type: 'directory',
          mode: stats.mode & 0o7777,
          mtime: stats.mtime,
        });
      await addFolder(walk, child);
      continue;
    }
    if (excluded) continue;
    if (stats.isSymbolicLink()) {
      const target = await readlink(file);
      await addEntry(walk.tar, {
        name: child,
        type: 'symlink',
        linkname: target,
        mode: stats.mode & 0o7777,
        mtime: stats.mtime,
      });
    } else if (stats.isFile()) {
      await addFile(walk, child, file, stats);
    }
    // Sockets, fifos and devices are left out, as the docker CLI leaves them.
  }
}

/** Owned by root in the image, as the docker CLI sends contexts. */
const OWNER = { uid: 0, gid: 0 };

function addEntry(tar: Pack, header: Parameters<Pack['entry']>[0]): Promise<void> {
  return new Promise((resolve, reject) => {
    tar.entry({ ...OWNER, ...header }, (error) => (error ? reject(error) : resolve()));
  });
}

function addBuffer(tar: Pack, name: string, content: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    tar.entry({ ...OWNER, name, mode: 0o644, mtime: new Date(0) }, content, (error) =>
      error ? reject(error) : resolve(),
    );
  });
}

function addFile(walk: Walk, name: string, file: string, stats: Stats): Promise<void> {
  return new Promise((resolve, reject) => {
    const entry = walk.tar.entry(
      { ...OWNER, name, size: stats.size, mode: stats.mode & 0o7777, mtime: stats.mtime },
      (error) => (error ? reject(error) : resolve()),
    );
    createReadStream(file)
      .on('error', (error) => reject(unreadable(walk, file, error)))
      .pipe(entry);
  });
}

/** `.dockerfile.<hash>`: stable for the same content, so the builder's cache still applies. */
function generatedName(content: string): string {
  return `.dockerfile.${createHash('sha256').update(content).digest('hex').slice(0, 20)}`;
}

function unreadable(walk: Walk, file: string, error: unknown): ComposeError {
  return new ComposeError(
    `service "${walk.serviceName}": cannot read ${file} for the build context: ${reason(error)}`,
    {
      hint: 'make it readable, or exclude it in .dockerignore',
      cause: error,
    },
  );
}

function toPosix(relative: string): string {
  return relative.split(path.sep).join('/');
}

function reason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  return error instanceof Error ? error.message : String(error);
}
