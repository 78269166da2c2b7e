/**
 * Suites that need real network namespaces (root on Linux, iproute2): they run where the machine
 * allows it and in CI (where .ci/run provides it, so a missing capability fails there instead of
 * skipping); elsewhere they are skipped and say why once.
 */
import { describe } from 'vitest';

import { detectIsolationSupport } from '../../src/engine/local/network/mode.js';

export const isolation = detectIsolationSupport();

const runs = isolation.ok || process.env.CI === 'true';
let told = false;

/** `describe` for a suite on real namespaces; skipped with a printed reason where they can't be made. */
export function describeIsolated(name: string, body: () => void): void {
  if (!runs && !told) {
    told = true;
    process.stderr.write(`skipping isolated-networking suites: ${isolation.reason}\n`);
  }
  (runs ? describe : describe.skip)(name, body);
}
