/**
 * How a program runs inside a replica: as its user, in its folder, and with isolated networking in
 * its sandbox's namespaces (nsenter). The argv is checked as data; then real programs run in a real
 * sandbox and report who and where they are.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { confinedCommand } from '../../../src/engine/local/confined-command.js';
import { planExec, runExecPlan } from '../../../src/engine/local/exec.js';
import { NSENTER } from '../../../src/engine/local/network/ip-command.js';
import { Sandbox } from '../../../src/engine/local/network/sandbox.js';
import type { RuntimeSpec } from '../../../src/engine/local/types.js';
import { describeIsolated } from '../../support/isolation.js';
import { runtimeSpec } from './runtime-spec-fixture.js';

const run = promisify(execFile);

describe('confinedCommand', () => {
  it('on the host network: the program itself, uid and gid for spawn', () => {
    expect(confinedCommand('/bin/app', ['-v'], { cwd: '/srv' })).toEqual({ file: '/bin/app', args: ['-v'] });
    expect(confinedCommand('app', ['a b'], { cwd: '/srv', uid: 1000, gid: 100 })).toEqual({
      file: 'app',
      args: ['a b'],
      uid: 1000,
      gid: 100,
    });
  });

  it('in a sandbox: nsenter into its network, mount and UTS namespaces, in the working folder', () => {
    expect(confinedCommand('/bin/app', ['-v', '--x=1'], { cwd: '/srv/app', sandboxPid: 4242 })).toEqual({
      file: NSENTER,
      args: ['-t', '4242', '-n', '-m', '-u', '--wd=/srv/app', '--', '/bin/app', '-v', '--x=1'],
    });
  });

  it('in a sandbox: the user moves into nsenter (it must start as root to enter)', () => {
    const confined = confinedCommand('app', [], { cwd: '/', sandboxPid: 7, uid: 1000, gid: 100 });
    expect(confined).toEqual({
      file: NSENTER,
      args: ['-t', '7', '-n', '-m', '-u', '--wd=/', '-S', '1000', '-G', '100', '--', 'app'],
    });
    expect(confined.uid).toBeUndefined();
    expect(confined.gid).toBeUndefined();
  });

  it('keeps arguments that look like nsenter options after --', () => {
    const confined = confinedCommand('sh', ['-t', '1', '--wd=/etc'], { cwd: '/', sandboxPid: 9 });
    expect(confined.args.slice(confined.args.indexOf('--'))).toEqual(['--', 'sh', '-t', '1', '--wd=/etc']);
  });
});

function spec(extra: Partial<RuntimeSpec> = {}): RuntimeSpec {
  return runtimeSpec(['server'], {
    env: { PATH: '/usr/bin:/bin', A: 'spec' },
    cwd: '/srv/app',
    stopGracePeriodMs: 1000,
    image: 'local',
    ...extra,
  });
}

describe('planExec', () => {
  it('on the host network: the command, its environment over the replica’s, its user', () => {
    expect(
      planExec(spec({ uid: 1000, gid: 100 }), { command: ['ls', '-l'], environment: { A: 'exec', B: '1' } }),
    ).toEqual({
      argv: ['ls', '-l'],
      env: { PATH: '/usr/bin:/bin', A: 'exec', B: '1' },
      cwd: '/srv/app',
      uid: 1000,
      gid: 100,
    });
  });

  it('in a sandbox: wrapped in nsenter, the user moved into it, spawned as root', () => {
    const plan = planExec(spec({ uid: 1000, gid: 100 }), { command: ['ls', '-l'] }, 555);
    expect(plan).toEqual({
      argv: [
        NSENTER,
        '-t',
        '555',
        '-n',
        '-m',
        '-u',
        '--wd=/srv/app',
        '-S',
        '1000',
        '-G',
        '100',
        '--',
        'ls',
        '-l',
      ],
      env: { PATH: '/usr/bin:/bin', A: 'spec' },
      cwd: '/srv/app',
    });
  });

  it('in a sandbox: a working folder asked for goes through the mounts, and to nsenter', () => {
    const mounts: RuntimeSpec['mounts'] = [
      { kind: 'bind', containerPath: '/data', hostPath: '/host/data', readOnly: false },
    ];
    const plan = planExec(spec({ mounts }), { command: ['cat', '/data/x'], workingDir: '/data/sub' }, 8);
    expect(plan.cwd).toBe('/host/data/sub');
    expect(plan.argv).toEqual([
      NSENTER,
      '-t',
      '8',
      '-n',
      '-m',
      '-u',
      '--wd=/host/data/sub',
      '--',
      'cat',
      '/host/data/x',
    ]);
  });
});

describeIsolated('confined programs in a real sandbox', () => {
  let folder: string;
  let sandbox: Sandbox | undefined;
  const hostname = `conf-${randomBytes(3).toString('hex')}`;

  beforeEach(async () => {
    folder = await mkdtemp(path.join(tmpdir(), 'berth-confined-'));
    // The unprivileged user must reach the working folder.
    await chmod(folder, 0o755);
    await writeFile(path.join(folder, 'hosts'), `10.9.9.9\tfrom-the-sandbox\n`);
    sandbox = await Sandbox.create({
      hostname,
      hostsFile: path.join(folder, 'hosts'),
      network: { kind: 'none' },
    });
  });

  afterEach(async () => {
    await sandbox?.destroy();
    sandbox = undefined;
    await rm(folder, { recursive: true, force: true });
  });

  async function inside(
    script: string,
    where: { uid?: number; gid?: number } = {},
  ): Promise<Record<string, unknown>> {
    const confined = confinedCommand(process.execPath, ['-e', script], {
      cwd: folder,
      sandboxPid: sandbox!.holderPid,
      ...where,
    });
    const { stdout } = await run(confined.file, confined.args);
    return JSON.parse(stdout) as Record<string, unknown>;
  }

  const report = `
    const fs = require('node:fs'), os = require('node:os');
    process.stdout.write(JSON.stringify({
      uid: process.getuid(), gid: process.getgid(), groups: process.getgroups(),
      cwd: process.cwd(), hostname: os.hostname(),
      hosts: fs.readFileSync('/etc/hosts', 'utf8'),
      interfaces: Object.keys(os.networkInterfaces()),
    }));`;

  it('runs in the sandbox’s namespaces and folder, as root when no user is set', async () => {
    const seen = await inside(report);
    expect(seen).toMatchObject({
      uid: 0,
      cwd: folder,
      hostname,
      hosts: '10.9.9.9\tfrom-the-sandbox\n',
      interfaces: ['lo'],
    });
  });

  it('runs as the replica’s user, with no supplementary group of root’s', async () => {
    const seen = await inside(report, { uid: 65534, gid: 65534 });
    expect(seen).toMatchObject({ uid: 65534, gid: 65534, cwd: folder, hostname });
    expect(seen.groups).not.toContain(0);
  });

  it('an exec plan runs there too, with its exit code', async () => {
    const plan = planExec(
      spec({ cwd: folder, uid: 65534, gid: 65534, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } }),
      {
        command: [
          process.execPath,
          '-e',
          `process.exit(require('node:os').hostname() === '${hostname}' && process.getuid() === 65534 ? 7 : 1)`,
        ],
      },
      sandbox!.holderPid,
    );
    expect(await runExecPlan(plan, { stdio: 'ignore' })).toEqual({ exitCode: 7 });
  });
});
