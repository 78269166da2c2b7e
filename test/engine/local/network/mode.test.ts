/**
 * Which networking the in-process engine uses: the flag, else BERTH_NETWORKING, else what the host
 * allows; and a project keeping the mode it was created with.
 */
import { execFile } from 'node:child_process';
import { chmod } from 'node:fs/promises';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  chooseNetworking,
  detectIsolationSupport,
  networkingOptions,
  settleNetworking,
  type IsolationSupport,
  type NetworkingChoice,
} from '../../../../src/engine/local/network/mode.js';
import type { NetworkingMode } from '../../../../src/engine/local/network/types.js';
import type { ContainerRecord, NetworkRecord } from '../../../../src/engine/local/types.js';
import { ComposeError } from '../../../../src/project/errors.js';
import { describeIsolated, isolation } from '../../../support/isolation.js';
import { transpileSources, type Transpiled } from '../transpile.js';

const run = promisify(execFile);

const supported: IsolationSupport = { ok: true, reason: 'Linux, with the privileges' };
const unsupported: IsolationSupport = { ok: false, reason: 'berth runs as an unprivileged user' };

function failure(fn: () => unknown): ComposeError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ComposeError);
    return error as ComposeError;
  }
  throw new Error('expected a ComposeError');
}

describe('chooseNetworking', () => {
  const cases: {
    name: string;
    flag?: string;
    env?: Record<string, string | undefined>;
    support: IsolationSupport;
    expected: Omit<NetworkingChoice, 'reason'> & { reason?: string };
  }[] = [
    {
      name: 'detects isolated where supported',
      support: supported,
      expected: { mode: 'isolated', forced: false, reason: supported.reason },
    },
    {
      name: 'falls back to host elsewhere, saying why',
      support: unsupported,
      expected: { mode: 'host', forced: false, reason: unsupported.reason },
    },
    {
      name: 'the flag forces host',
      flag: 'host',
      support: supported,
      expected: { mode: 'host', forced: true },
    },
    {
      name: 'the flag forces isolated',
      flag: 'isolated',
      support: supported,
      expected: { mode: 'isolated', forced: true },
    },
    {
      name: 'host needs no support',
      flag: 'host',
      support: unsupported,
      expected: { mode: 'host', forced: true },
    },
    {
      name: 'BERTH_NETWORKING forces, in any case and with blanks',
      env: { BERTH_NETWORKING: ' Host ' },
      support: supported,
      expected: { mode: 'host', forced: true },
    },
    {
      name: 'the flag wins over BERTH_NETWORKING',
      flag: 'isolated',
      env: { BERTH_NETWORKING: 'host' },
      support: supported,
      expected: { mode: 'isolated', forced: true },
    },
    {
      name: 'an empty BERTH_NETWORKING is not set',
      env: { BERTH_NETWORKING: '' },
      support: unsupported,
      expected: { mode: 'host', forced: false },
    },
  ];
  it.each(cases)('$name', ({ flag, env, support, expected }) => {
    const choice = chooseNetworking({ ...(flag === undefined ? {} : { flag }), env: env ?? {}, support });
    expect(choice).toMatchObject(expected);
    expect(choice.reason).not.toBe('');
  });

  const refused: {
    name: string;
    flag?: string;
    env?: Record<string, string>;
    support: IsolationSupport;
    problem: RegExp;
  }[] = [
    {
      name: 'isolated where the host cannot, with the reason',
      flag: 'isolated',
      support: unsupported,
      problem: /isolated networking is not available: berth runs as an unprivileged user/,
    },
    {
      name: 'isolated through BERTH_NETWORKING where the host cannot',
      env: { BERTH_NETWORKING: 'isolated' },
      support: unsupported,
      problem: /not available/,
    },
    {
      name: 'an unknown flag value',
      flag: 'bridge',
      support: supported,
      problem: /--networking: .*"bridge"/,
    },
    {
      name: 'an unknown BERTH_NETWORKING',
      env: { BERTH_NETWORKING: 'none' },
      support: supported,
      problem: /BERTH_NETWORKING: .*"none"/,
    },
  ];
  it.each(refused)('refuses $name, with a hint', ({ flag, env, support, problem }) => {
    const error = failure(() =>
      chooseNetworking({ ...(flag === undefined ? {} : { flag }), env: env ?? {}, support }),
    );
    expect(error.problem).toMatch(problem);
    expect(error.hint).toBeTruthy();
  });
});

describe('networkingOptions', () => {
  it('forces host from BERTH_NETWORKING', () => {
    expect(networkingOptions({ BERTH_NETWORKING: 'host' })).toEqual({
      networking: 'host',
      networkingForced: true,
    });
  });

  it('detects the mode without BERTH_NETWORKING', () => {
    expect(networkingOptions({})).toEqual({
      networking: isolation.ok ? 'isolated' : 'host',
      networkingForced: false,
    });
  });
});

describe('settleNetworking', () => {
  const container = { id: 'c' } as ContainerRecord;
  const network = { name: 'p_default' } as NetworkRecord;
  const state = (
    networking: NetworkingMode | undefined,
    used: { containers?: boolean; networks?: boolean } = {},
  ) => ({
    project: 'p',
    ...(networking === undefined ? {} : { networking }),
    containers: used.containers === true ? [container] : [],
    networks: used.networks === true ? [network] : [],
  });

  it.each([
    ['a new project takes the wanted mode', state(undefined), 'isolated', false, 'isolated'],
    ['an empty project takes the wanted mode even if forced', state('host'), 'isolated', true, 'isolated'],
    ['a project in use keeps its mode', state('host', { containers: true }), 'isolated', false, 'host'],
    [
      'a project with networks only keeps its mode',
      state('isolated', { networks: true }),
      'host',
      false,
      'isolated',
    ],
    [
      'an old state without a mode is host',
      state(undefined, { containers: true }),
      'isolated',
      false,
      'host',
    ],
    [
      'forcing the recorded mode is fine',
      state('isolated', { containers: true }),
      'isolated',
      true,
      'isolated',
    ],
  ] as const)('%s', (_, recorded, wanted, forced, expected) => {
    expect(settleNetworking(recorded, { networking: wanted, networkingForced: forced })).toBe(expected);
  });

  it('refuses to force another mode on a project in use, saying how to change it', () => {
    const error = failure(() =>
      settleNetworking(state('host', { containers: true }), {
        networking: 'isolated',
        networkingForced: true,
      }),
    );
    expect(error.problem).toBe('project "p" was created with host networking, not isolated networking');
    expect(error.hint).toMatch(/berth down/);
    expect(error.hint).toMatch(/--networking host/);
  });
});

describeIsolated('detectIsolationSupport', () => {
  let compiled: Transpiled;
  beforeAll(async () => {
    compiled = await transpileSources(['engine/local/network/mode.ts']);
    // mkdtemp makes it private to root; the unprivileged child must read it.
    await chmod(compiled.dir, 0o755);
  });
  afterAll(async () => {
    await compiled?.cleanup();
  });

  /** What detection says in a child process started through `wrapper` (e.g. setpriv dropping capabilities). */
  async function detectIn(wrapper: string[]): Promise<IsolationSupport> {
    const script = `import(${JSON.stringify(compiled.js('engine/local/network/mode.ts'))}).then((m) => process.stdout.write(JSON.stringify(m.detectIsolationSupport())))`;
    const [file, ...args] = [...wrapper, process.execPath, '-e', script];
    const { stdout } = await run(file!, args);
    return JSON.parse(stdout) as IsolationSupport;
  }

  it('says yes here (root, with iproute2 and util-linux)', () => {
    expect(detectIsolationSupport()).toEqual({
      ok: true,
      reason: 'Linux, with the privileges to create network namespaces',
    });
  });

  it('says no, and why, to a root process without CAP_NET_ADMIN', async () => {
    const support = await detectIn(['/usr/bin/setpriv', '--bounding-set', '-net_admin', '--']);
    expect(support.ok).toBe(false);
    expect(support.reason).toMatch(/CAP_NET_ADMIN/);
  });

  it('says no to an unprivileged user', async () => {
    const support = await detectIn([
      '/usr/bin/setpriv',
      '--reuid',
      '65534',
      '--regid',
      '65534',
      '--clear-groups',
      '--',
    ]);
    expect(support).toMatchObject({ ok: false });
    expect(support.reason).toMatch(/root/);
  });
});
