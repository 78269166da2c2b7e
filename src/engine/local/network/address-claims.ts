/**
 * Addresses on a network several projects share (an `external` network another project created):
 * no engine knows the others' containers, so each address taken on such a bridge is claimed in a
 * machine-wide folder, one file per address, created exclusively and holding the claiming engine's
 * pid. A claim whose engine is gone (pid dead, or reused by a later process) is free again.
 */
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';

import { isRecordedProcessAlive } from '../process-liveness.js';

export class AddressClaims {
  constructor(private readonly root: string) {}

  /** Addresses on the bridge that live engines hold. */
  taken(bridge: string): Set<string> {
    const dir = path.join(this.root, bridge);
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return new Set();
    }
    return new Set(names.filter((address) => this.isLive(path.join(dir, address))));
  }

  /** Claims an address for this engine; false when a live engine holds it already. */
  claim(bridge: string, address: string): boolean {
    const dir = path.join(this.root, bridge);
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    const file = path.join(dir, address);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        writeFileSync(file, String(process.pid), { flag: 'wx', mode: 0o644 });
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        if (this.isLive(file)) return readFileSync(file, 'utf8') === String(process.pid);
        unlinkSync(file);
      }
    }
    return false;
  }

  release(bridge: string, address: string): void {
    const file = path.join(this.root, bridge, address);
    try {
      if (readFileSync(file, 'utf8') === String(process.pid)) unlinkSync(file);
      rmdirSync(path.dirname(file)); // the bridge's folder, once its last claim is gone
    } catch {
      // not claimed, claimed by nobody any more, or other claims remain
    }
  }

  private isLive(file: string): boolean {
    try {
      const pid = Number(readFileSync(file, 'utf8'));
      return isRecordedProcessAlive(pid, statSync(file).mtimeMs);
    } catch {
      return false;
    }
  }
}
