import type { KeyPath } from './key-path.js';

export interface Position {
  /** 1-based line. */
  line: number;
  /** 1-based column. */
  column: number;
}

export interface Location extends Partial<Position> {
  file: string;
}

/** One key path's slot in a DocumentPositions tree: its position (or text offset) and its children. */
export class PositionNode {
  /** A text offset while only the parser has set it; line/column are computed when asked. */
  value: Position | number | undefined = undefined;
  children: Map<string | number, PositionNode> | undefined = undefined;

  child(segment: string | number): PositionNode {
    this.children ??= new Map();
    let node = this.children.get(segment);
    if (!node) {
      node = new PositionNode();
      this.children.set(segment, node);
    }
    return node;
  }
}

/**
 * Where each key path of one parsed document was written. Stages keep plain data; when they need to
 * say where something came from they ask the source map, which falls back to the nearest parent that
 * has a position. Kept as a tree by segment, so the parser records a position without building a key.
 */
export class DocumentPositions {
  readonly root = new PositionNode();

  constructor(
    readonly file: string,
    private readonly positionAt?: (offset: number) => Position,
  ) {}

  set(path: KeyPath, position: Position): void {
    let node = this.root;
    for (const segment of path) node = node.child(segment);
    node.value = position;
  }

  get(path: KeyPath): Position | undefined {
    const found = this.find(path)?.value;
    if (typeof found !== 'number') return found;
    return this.positionAt ? this.positionAt(found) : undefined;
  }

  /** The position of a key path, else of its nearest parent that has one (values stages built have none), else the file. */
  locate(path: KeyPath): Location {
    for (let len = path.length; len >= 0; len--) {
      const position = this.get(path.slice(0, len));
      if (position) return { file: this.file, ...position };
    }
    return { file: this.file };
  }

  has(path: KeyPath): boolean {
    return this.find(path)?.value !== undefined;
  }

  private find(path: KeyPath): PositionNode | undefined {
    let node: PositionNode | undefined = this.root;
    for (let i = 0; i < path.length && node; i++) node = node.children?.get(path[i]!);
    return node;
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
}
