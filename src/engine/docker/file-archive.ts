/**
 * Files a container needs before it starts (secrets and configs given as content or environment), as
 * the tar archive PUT /containers/{id}/archive extracts at `/`. Parent folders are not listed: the
 * engine creates missing ones (root, 0755) and leaves existing ones, with their modes, alone.
 */
import tar from 'tar-stream';

export interface ArchiveFile {
  /** Absolute path in the container. */
  path: string;
  content: Buffer;
  mode: number;
  uid: number;
  gid: number;
}

export function fileArchive(files: readonly ArchiveFile[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    pack.on('data', (chunk: Buffer) => chunks.push(chunk));
    pack.on('end', () => resolve(Buffer.concat(chunks)));
    pack.on('error', reject);
  });
  const mtime = new Date();
  for (const file of files) {
    pack.entry(
      {
        name: file.path.replace(/^\/+/, ''),
        type: 'file',
        size: file.content.length,
        mode: file.mode,
        uid: file.uid,
        gid: file.gid,
        mtime,
      },
      file.content,
    );
  }
  pack.finalize();
  return done;
}
