import type { KeyPath } from '../key-path.js';

/** Records one problem at a key path; the caller turns it into a located ComposeError. */
export type Report = (problem: string, keyPath: KeyPath, hint?: string) => void;
