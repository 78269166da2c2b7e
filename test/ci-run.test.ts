/**
 * CI runs `.ci/run`; the README promises that its second command runs every test. The two must not
 * drift apart: `.ci/run` ends with exactly that command, after installing what the tests need.
 */
import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const ciRun = readFileSync(new URL('../.ci/run', import.meta.url), 'utf8');

/** The command under the README's `# 2. ...` comment in "The two commands". */
function readmeTestCommand(): string {
  const lines = readme.split('\n');
  const comment = lines.findIndex((line) => line.startsWith('# 2.'));
  const command = lines.slice(comment + 1).find((line) => line.trim() !== '' && !line.startsWith('#'));
  if (comment < 0 || command === undefined) throw new Error('README has no "# 2." command');
  return command.trim();
}

describe('.ci/run', () => {
  it("ends with the README's test command, verbatim", () => {
    const commands = ciRun.split('\n').filter((line) => line.trim() !== '' && !line.trim().startsWith('#'));
    expect(readmeTestCommand()).toBe('npm ci && npm run check');
    expect(commands.at(-1)).toBe(readmeTestCommand());
  });
});
