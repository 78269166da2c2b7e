/** Where a path lies relative to a watched folder. */
import path from 'node:path';

/** Whether `file` is `folder` itself or below it (both absolute and normalised). */
export function isWithin(file: string, folder: string): boolean {
  return file === folder || file.startsWith(folder.endsWith(path.sep) ? folder : folder + path.sep);
}

/**
 * `absolutePath` relative to `baseDir` with `/` separators: `''` for the folder itself, undefined when
 * the path is outside it.
 */
export function relativeInside(baseDir: string, absolutePath: string): string | undefined {
  const relative = path.relative(path.resolve(baseDir), path.resolve(absolutePath));
  if (relative === '') return '';
  if (relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative)) {
    return undefined;
  }
  return relative.split(path.sep).join('/');
}
