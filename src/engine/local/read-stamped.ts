import { readFile, stat } from 'node:fs/promises';

/**
 * A small record file (lock, claim) with its modification time, or undefined when it does not exist:
 * the time tells a file being written from one left behind.
 */
export async function readStamped(file: string): Promise<{ text: string; mtimeMs: number } | undefined> {
  try {
    const text = await readFile(file, 'utf8');
    return { text, mtimeMs: (await stat(file)).mtimeMs };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
