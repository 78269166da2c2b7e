/**
 * CI runs `.ci/run`; the README promises that its second command runs every test. The two must not
 * drift apart: `.ci/run` ends with exactly that command, after installing what the tests need —
 * including a running dockerd and the local test image, without which the Docker suites fail in CI.
 */
import { readFileSync } from 'node:fs';

import { execa } from 'execa';
import { describe, expect, it } from 'vitest';

import { TEST_IMAGE, describeDocker } from './support/docker.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const ciRun = readFileSync(new URL('../.ci/run', import.meta.url), 'utf8');
const makeTestImage = new URL('../scripts/make-test-image.sh', import.meta.url).pathname;

/** The command in the code block of item 2 of the README's "The two commands". */
function readmeTestCommand(): string {
  const section = readme.split('## The two commands')[1]?.split('\n## ')[0] ?? '';
  const item = section.split(/^2\. /m)[1] ?? '';
  const block = /```sh\n([\s\S]*?)```/.exec(item)?.[1];
  const command = block?.split('\n').find((line) => line.trim() !== '');
  if (command === undefined) throw new Error('README has no command under item 2 of "The two commands"');
  return command.trim();
}

const commands = ciRun.split('\n').filter((line) => line.trim() !== '' && !line.trim().startsWith('#'));

describe('.ci/run', () => {
  it("ends with the README's test command, verbatim", () => {
    expect(readmeTestCommand()).toBe('npm ci && npm run check');
    expect(commands.at(-1)).toBe(readmeTestCommand());
  });

  it('installs docker.io, busybox-static and docker-compose, and makes the test image before the tests', () => {
    expect(ciRun).toContain('[dockerd]=docker.io');
    expect(ciRun).toContain('[docker-compose]=docker-compose');
    expect(ciRun).toContain('missing+=(busybox-static)');
    expect(ciRun).toMatch(/^\s*dockerd >"\$dockerd_log" 2>&1 <\/dev\/null &$/m);
    const image = commands.indexOf('scripts/make-test-image.sh');
    expect(image).toBeGreaterThan(commands.findIndex((line) => line.includes('dockerd >')));
    expect(image).toBe(commands.length - 2);
  });

  it('and scripts/make-test-image.sh are valid bash', async () => {
    await execa('bash', ['-n', new URL('../.ci/run', import.meta.url).pathname]);
    await execa('bash', ['-n', makeTestImage]);
  });
});

describeDocker('scripts/make-test-image.sh', () => {
  it('keeps the image that is there already', async () => {
    const before = await execa('docker', ['image', 'inspect', '--format', '{{.Id}}', TEST_IMAGE]);
    const run = await execa(makeTestImage);
    expect(run.stdout).toMatch(new RegExp(`^make-test-image: ${TEST_IMAGE} is there already`));
    const after = await execa('docker', ['image', 'inspect', '--format', '{{.Id}}', TEST_IMAGE]);
    expect(after.stdout).toBe(before.stdout);
  });

  it('refuses an unknown argument', async () => {
    const run = await execa(makeTestImage, ['--bogus'], { reject: false });
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/usage: .*\[--force\]/);
  });
});
