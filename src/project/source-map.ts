import { type KeyPath, keyPathId } from './key-path.js';

export interface Position {
  /** 1-based line. */
  line: number;
  /** 1-based column. */
  column: number;
}

export interface Location extends Partial<Position> {
  file: string;
}

/**
 * Where each key path of one parsed document was written. Stages keep plain data; when they need to
 * say where something came from they ask the source map, which falls back to the nearest parent that
 * has a position.
 */
export class DocumentPositions {
  private readonly positions = new Map<string, Position>();

  constructor(readonly file: string) {}

  set(path: KeyPath, position: Position): void {
    this.positions.set(keyPathId(path), position);
  }

  get(path: KeyPath): Position | undefined {
    return this.positions.get(keyPathId(path));
  }

  has(path: KeyPath): boolean {
    return this.positions.has(keyPathId(path));
  }
}

/** All documents read so far; later documents override earlier ones, so they are searched first. */
export class SourceMap {
  private readonly documents: DocumentPositions[] = [];

  add(doc: DocumentPositions): void {
    this.documents.push(doc);
  }

  /** The most precise known location for a key path: exact match in the latest file, else the nearest parent. */
  locate(path: KeyPath): Location | undefined {
    for (let len = path.length; len >= 0; len--) {
      const prefix = path.slice(0, len);
      for (let i = this.documents.length - 1; i >= 0; i--) {
        const doc = this.documents[i]!;
        const pos = doc.get(prefix);
        if (pos) return { file: doc.file, ...pos };
      }
    }
    const last = this.documents[this.documents.length - 1];
    return last ? { file: last.file } : undefined;
  }

  /** Like locate, but only in documents of the given file (its display name, as the parser got it). */
  locateIn(file: string, path: KeyPath): Location {
    for (let len = path.length; len >= 0; len--) {
      const prefix = path.slice(0, len);
      for (let i = this.documents.length - 1; i >= 0; i--) {
        const doc = this.documents[i]!;
        if (doc.file !== file) continue;
        const pos = doc.get(prefix);
        if (pos) return { file: doc.file, ...pos };
      }
    }
    return { file };
  }
}
