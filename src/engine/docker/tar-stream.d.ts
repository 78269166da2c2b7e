/**
 * The part of tar-stream 2 (a dependency of dockerode's tar-fs) that berth uses: the package ships no
 * types of its own.
 */
declare module 'tar-stream' {
  import type { Readable, Writable } from 'node:stream';

  export interface Headers {
    name: string;
    size?: number;
    mode?: number;
    mtime?: Date;
    type?: 'file' | 'link' | 'symlink' | 'directory' | 'character-device' | 'block-device' | 'fifo';
    linkname?: string;
    uid?: number;
    gid?: number;
    uname?: string;
    gname?: string;
  }

  export interface Pack extends Readable {
    entry(headers: Headers, callback?: (error?: Error | null) => void): Writable;
    entry(headers: Headers, content: string | Buffer, callback?: (error?: Error | null) => void): Writable;
    finalize(): void;
  }

  export interface Extract extends Writable {
    on(
      event: 'entry',
      listener: (headers: Headers, stream: Readable, next: (error?: unknown) => void) => void,
    ): this;
    on(event: 'finish' | 'close', listener: () => void): this;
    on(event: 'error', listener: (error: Error) => void): this;
  }

  export function pack(): Pack;
  export function extract(): Extract;
}
