import { describe, expect, it } from 'vitest';

import { castTypedFields } from '../../src/project/cast.js';
import type { ComposeDict } from '../../src/project/dict.js';
import { ComposeError } from '../../src/project/errors.js';
import { DocumentPositions } from '../../src/project/source-map.js';
import { OverrideTag, ResetTag } from '../../src/project/tags.js';
import { renderWarning, Warnings } from '../../src/project/warnings.js';

function positions(): DocumentPositions {
  const p = new DocumentPositions('compose.yaml');
  p.set(['services', 'web'], { line: 2, column: 3 });
  p.set(['services', 'web', 'scale'], { line: 3, column: 5 });
  p.set(['services', 'web', 'tty'], { line: 4, column: 5 });
  return p;
}

function cast(model: ComposeDict, warnings = new Warnings()): ComposeDict {
  return castTypedFields(model, { positions: positions(), warnings });
}

const web = (service: ComposeDict): ComposeDict => ({ services: { web: service } });

function failure(model: ComposeDict): ComposeError {
  try {
    cast(model);
  } catch (error) {
    if (error instanceof ComposeError) return error;
    throw error;
  }
  throw new Error('expected a ComposeError');
}

describe('castTypedFields', () => {
  it.each<[string, ComposeDict, ComposeDict]>([
    ['integer', web({ scale: '3' }), web({ scale: 3 })],
    [
      'negative integer',
      web({ oom_score_adj: '-500', pids_limit: '-1' }),
      web({ oom_score_adj: -500, pids_limit: -1 }),
    ],
    ['float', web({ cpus: '0.5' }), web({ cpus: 0.5 })],
    ['integer-valued float', web({ cpus: '2' }), web({ cpus: 2 })],
    [
      'booleans any case',
      web({ tty: 'TRUE', stdin_open: 'False', init: 'true' }),
      web({ tty: true, stdin_open: false, init: true }),
    ],
    [
      'values of the right type stay',
      web({ scale: 2, tty: true, cpus: 1.5 }),
      web({ scale: 2, tty: true, cpus: 1.5 }),
    ],
    [
      'untyped strings stay',
      web({ image: '5', restart: 'no', user: '1000' }),
      web({ image: '5', restart: 'no', user: '1000' }),
    ],
    [
      'long-syntax ports: target cast, published kept',
      web({ ports: [{ target: '80', published: '8080' }, '3000:3000'] }),
      web({ ports: [{ target: 80, published: '8080' }, '3000:3000'] }),
    ],
    [
      'ulimits single and soft/hard',
      web({ ulimits: { nproc: '65535', nofile: { soft: '20000', hard: '40000' } } }),
      web({ ulimits: { nproc: 65535, nofile: { soft: 20000, hard: 40000 } } }),
    ],
    [
      'secrets and configs modes are octal',
      web({
        secrets: [{ source: 's', mode: '0440' }, 's2'],
        configs: [
          { source: 'c', mode: '644' },
          { source: 'd', mode: 292 },
        ],
      }),
      web({
        secrets: [{ source: 's', mode: 0o440 }, 's2'],
        configs: [
          { source: 'c', mode: 0o644 },
          { source: 'd', mode: 292 },
        ],
      }),
    ],
    [
      'deploy',
      web({
        deploy: {
          replicas: '2',
          update_config: { parallelism: '1', max_failure_ratio: '0.25' },
          resources: { limits: { cpus: '1.5', pids: '100', memory: '1g' }, reservations: { cpus: '.5' } },
          restart_policy: { max_attempts: '5' },
        },
      }),
      web({
        deploy: {
          replicas: 2,
          update_config: { parallelism: 1, max_failure_ratio: 0.25 },
          resources: { limits: { cpus: 1.5, pids: 100, memory: '1g' }, reservations: { cpus: 0.5 } },
          restart_policy: { max_attempts: 5 },
        },
      }),
    ],
    [
      'depends_on long form, list form untouched',
      {
        services: {
          a: { depends_on: { b: { condition: 'service_started', required: 'false', restart: 'true' } } },
          c: { depends_on: ['true'] },
        },
      },
      {
        services: {
          a: { depends_on: { b: { condition: 'service_started', required: false, restart: true } } },
          c: { depends_on: ['true'] },
        },
      },
    ],
    [
      'volumes long syntax',
      web({
        volumes: [
          { type: 'bind', source: '.', target: '/x', read_only: 'true', bind: { create_host_path: 'false' } },
          { type: 'volume', source: 'v', target: '/v', volume: { nocopy: 'true' } },
          { type: 'tmpfs', target: '/t', tmpfs: { size: '1000', mode: '1777' } },
          './a:/a:ro',
        ],
      }),
      web({
        volumes: [
          { type: 'bind', source: '.', target: '/x', read_only: true, bind: { create_host_path: false } },
          { type: 'volume', source: 'v', target: '/v', volume: { nocopy: true } },
          { type: 'tmpfs', target: '/t', tmpfs: { size: 1000, mode: 0o1777 } },
          './a:/a:ro',
        ],
      }),
    ],
    [
      'sizes: digits cast, units kept',
      web({ mem_limit: '1024', shm_size: '2g', cpu_rt_runtime: '400ms', cpu_rt_period: '1000' }),
      web({ mem_limit: 1024, shm_size: '2g', cpu_rt_runtime: '400ms', cpu_rt_period: 1000 }),
    ],
    [
      'build',
      web({
        build: {
          context: '.',
          no_cache: 'true',
          pull: 'false',
          privileged: 'true',
          ulimits: { nofile: '1' },
        },
      }),
      web({ build: { context: '.', no_cache: true, pull: false, privileged: true, ulimits: { nofile: 1 } } }),
    ],
    ['build as a string', web({ build: './dir' }), web({ build: './dir' })],
    [
      'healthcheck, env_file, develop, hooks',
      web({
        healthcheck: { retries: '3', disable: 'false', interval: '10s' },
        env_file: [{ path: '.env', required: 'false' }, 'other.env'],
        develop: {
          watch: [
            { path: '.', action: 'sync', initial_sync: 'true', exec: { command: 'x', privileged: 'true' } },
          ],
        },
        post_start: [{ command: 'x', privileged: 'true' }],
      }),
      web({
        healthcheck: { retries: 3, disable: false, interval: '10s' },
        env_file: [{ path: '.env', required: false }, 'other.env'],
        develop: {
          watch: [
            { path: '.', action: 'sync', initial_sync: true, exec: { command: 'x', privileged: true } },
          ],
        },
        post_start: [{ command: 'x', privileged: true }],
      }),
    ],
    [
      'gpus count all kept',
      web({ gpus: [{ count: 'all' }, { count: '2' }] }),
      web({ gpus: [{ count: 'all' }, { count: 2 }] }),
    ],
    [
      'top-level resources',
      {
        networks: {
          front: { external: 'true', internal: 'false', attachable: 'true', enable_ipv6: 'true' },
          back: null,
        },
        volumes: { data: { external: 'false' }, other: { external: { name: 'x' } } },
        secrets: { s: { external: 'true' } },
        configs: { c: { external: 'true' } },
      },
      {
        networks: {
          front: { external: true, internal: false, attachable: true, enable_ipv6: true },
          back: null,
        },
        volumes: { data: { external: false }, other: { external: { name: 'x' } } },
        secrets: { s: { external: true } },
        configs: { c: { external: true } },
      },
    ],
    ['extension keys untouched', { 'x-web': { scale: 'many' } }, { 'x-web': { scale: 'many' } }],
  ])('%s', (_name, input, expected) => {
    expect(cast(input)).toEqual(expected);
  });

  it('casts inside !override and passes !reset through', () => {
    const reset = new ResetTag();
    const out = cast(web({ scale: new OverrideTag('4'), ports: reset }));
    const service = (out.services as ComposeDict).web as ComposeDict;
    expect(service.scale).toEqual(new OverrideTag(4));
    expect(service.ports).toBe(reset);
  });

  it('shares untyped branches and leaves its input alone', () => {
    const labels = { a: '1' };
    const input = web({ labels, scale: '2' });
    const out = cast(input);
    expect(((out.services as ComposeDict).web as ComposeDict).labels).toBe(labels);
    expect(((input.services as ComposeDict).web as ComposeDict).scale).toBe('2');
  });

  it.each([
    ['yes', true],
    ['Y', true],
    ['on', true],
    ['no', false],
    ['OFF', false],
    ['n', false],
  ])('accepts YAML 1.1 boolean %s with a warning', (text, expected) => {
    const warnings = new Warnings();
    expect(cast(web({ tty: text }), warnings)).toEqual(web({ tty: expected }));
    expect(warnings.list.map(renderWarning)).toEqual([
      `compose.yaml:4:5: services.web.tty: "${text}" is not a boolean in YAML 1.2; use ${String(expected)} instead`,
    ]);
  });

  it.each<[string, ComposeDict, string]>([
    ['integer', web({ scale: 'abc' }), 'compose.yaml:3:5: services.web.scale: must be an integer, got "abc"'],
    ['integer with a fraction', web({ scale: '1.5' }), 'services.web.scale: must be an integer, got "1.5"'],
    ['empty integer', web({ scale: '' }), 'services.web.scale: must be an integer, got ""'],
    [
      'huge integer',
      web({ scale: '99999999999999999999' }),
      'must be an integer, got "99999999999999999999" (the number is too large)',
    ],
    ['number', web({ cpus: 'half' }), 'compose.yaml:2:3: services.web.cpus: must be a number, got "half"'],
    [
      'boolean',
      web({ tty: 'maybe' }),
      'compose.yaml:4:5: services.web.tty: must be a boolean, got "maybe" (use true or false)',
    ],
    [
      'octal',
      web({ secrets: [{ source: 's', mode: '0999' }] }),
      'services.web.secrets[0].mode: must be an octal file mode, got "0999"',
    ],
    [
      'nested integer',
      web({ ulimits: { nofile: { soft: 'x', hard: '1' } } }),
      'services.web.ulimits.nofile.soft: must be an integer, got "x"',
    ],
    [
      'top-level boolean',
      { networks: { n: { external: 'sure' } } },
      'compose.yaml: networks.n.external: must be a boolean, got "sure"',
    ],
  ])('rejects a bad %s', (_name, input, message) => {
    expect(failure(input).message).toContain(message);
  });
});
