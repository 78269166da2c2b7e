import { stat } from 'node:fs/promises';

export type FileKind = 'file' | 'directory' | 'missing';

/** What is at a path, without throwing: anything unreadable counts as missing. */
export async function fileKind(file: string): Promise<FileKind> {
  try {
    const s = await stat(file);
    return s.isDirectory() ? 'directory' : 'file';
  } catch {
    return 'missing';
  }
}
