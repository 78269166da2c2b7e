import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import {
  type ImageDefaults,
  parseDockerfile,
  processWord,
  readImageDefaults,
  splitInstructions,
  splitWords,
} from '../../../src/engine/local/dockerfile.js';
import { ComposeError } from '../../../src/project/errors.js';

const parse = (text: string, options: Parameters<typeof parseDockerfile>[1] = {}): ImageDefaults =>
  parseDockerfile(text, options);

describe('parseDockerfile: command forms', () => {
  it.each<[string, string, Partial<ImageDefaults>]>([
    ['exec CMD', 'FROM node:20\nCMD ["node", "server.js"]', { cmd: ['node', 'server.js'] }],
    [
      'shell CMD',
      'FROM node:20\nCMD node server.js --port $PORT',
      { cmd: ['/bin/sh', '-c', 'node server.js --port $PORT'] },
    ],
    ['exec ENTRYPOINT', 'FROM x\nENTRYPOINT ["/entry.sh"]', { entrypoint: ['/entry.sh'] }],
    [
      'shell ENTRYPOINT',
      'FROM x\nENTRYPOINT exec node app.js',
      { entrypoint: ['/bin/sh', '-c', 'exec node app.js'] },
    ],
    [
      'invalid JSON is shell form',
      'FROM x\nCMD [node, app.js]',
      { cmd: ['/bin/sh', '-c', '[node, app.js]'] },
    ],
    [
      'SHELL changes shell form',
      'FROM x\nSHELL ["/bin/bash", "-lc"]\nCMD echo hi',
      { cmd: ['/bin/bash', '-lc', 'echo hi'] },
    ],
    ['last CMD wins', 'FROM x\nCMD ["a"]\nCMD ["b"]', { cmd: ['b'] }],
    ['lowercase keywords', 'from x\ncmd ["a"]', { cmd: ['a'] }],
  ])('%s', (_name, text, expected) => {
    expect(parse(text)).toMatchObject(expected);
  });

  it('ENTRYPOINT after CMD in the same stage keeps CMD', () => {
    const result = parse('FROM x\nCMD ["--help"]\nENTRYPOINT ["tool"]');
    expect(result.entrypoint).toEqual(['tool']);
    expect(result.cmd).toEqual(['--help']);
  });

  it('ENTRYPOINT resets a CMD inherited from the parent stage', () => {
    const result = parse('FROM x AS base\nCMD ["serve"]\nFROM base\nENTRYPOINT ["tool"]');
    expect(result.entrypoint).toEqual(['tool']);
    expect(result.cmd).toBeUndefined();
  });
});

describe('parseDockerfile: ENV, ARG, WORKDIR, USER, EXPOSE', () => {
  it.each<[string, string, Record<string, string>]>([
    ['K=V pairs', 'FROM x\nENV A=1 B="two words" C=\'$A\'', { A: '1', B: 'two words', C: '$A' }],
    ['legacy form', 'FROM x\nENV GREETING hello big world', { GREETING: 'hello big world' }],
    ['legacy form with quotes', 'FROM x\nENV Q "quoted value"', { Q: 'quoted value' }],
    [
      'substitution from earlier ENV',
      'FROM x\nENV A=/opt\nENV B=$A/bin C=${A}/lib',
      { A: '/opt', B: '/opt/bin', C: '/opt/lib' },
    ],
    ['one ENV sees values from before it', 'FROM x\nENV A=old\nENV A=new B=$A', { A: 'new', B: 'old' }],
    [
      'defaults and alternatives',
      'FROM x\nENV A=${UNSET:-dflt}\nENV B=${A:+alt} C=${UNSET:+alt}',
      { A: 'dflt', B: 'alt', C: '' },
    ],
    ['escaped dollar', 'FROM x\nENV A=\\$HOME', { A: '$HOME' }],
    [
      'PATH from the base environment',
      'FROM node\nENV PATH=/app/bin:$PATH',
      { PATH: '/app/bin:/usr/bin:/bin' },
    ],
    ['ARG default', 'FROM x\nARG VERSION=1.0\nENV V=$VERSION', { V: '1.0' }],
    ['build arg overrides ARG', 'FROM x\nARG MODE=dev\nENV MODE=$MODE', { MODE: 'prod' }],
    ['global ARG needs redeclaring', 'ARG G=global\nFROM x\nENV A=$G', { A: '' }],
    ['global ARG redeclared', 'ARG G=global\nFROM x\nARG G\nENV A=$G', { A: 'global' }],
    ['ENV wins over ARG', 'FROM x\nARG A=arg\nENV A=env\nENV B=$A', { A: 'env', B: 'env' }],
    ['undeclared build arg is ignored', 'FROM x\nENV A=${SECRET:-none}', { A: 'none' }],
  ])('%s', (_name, text, env) => {
    const result = parse(text, {
      buildArgs: { MODE: 'prod', SECRET: 'x', NULLED: null },
      baseEnv: { PATH: '/usr/bin:/bin' },
    });
    expect(result.env).toEqual(env);
  });

  it('WORKDIR is relative to the previous one and substituted', () => {
    expect(parse('FROM x\nWORKDIR /app\nWORKDIR src\nWORKDIR ../lib').workingDir).toBe('/app/lib');
    expect(parse('FROM x\nENV BASE=/srv\nWORKDIR $BASE/app/').workingDir).toBe('/srv/app');
    expect(parse('FROM x\nWORKDIR rel').workingDir).toBe('/rel');
    expect(parse('FROM x').workingDir).toBeUndefined();
  });

  it('USER, EXPOSE, STOPSIGNAL', () => {
    const result = parse('FROM x\nARG P=8080\nUSER node:node\nEXPOSE $P 53/udp 8080\nSTOPSIGNAL SIGINT');
    expect(result.user).toBe('node:node');
    expect(result.expose).toEqual(['8080', '53/udp']);
    expect(result.stopSignal).toBe('SIGINT');
  });

  it('HEALTHCHECK with flags, shell and exec forms, NONE', () => {
    expect(
      parse('FROM x\nHEALTHCHECK --interval=5s --retries=2 CMD curl -f http://localhost/').healthcheck,
    ).toEqual({
      test: ['CMD-SHELL', 'curl -f http://localhost/'],
      interval: '5s',
      retries: 2,
    });
    expect(parse('FROM x\nHEALTHCHECK --start-period=1s CMD ["node", "check.js"]').healthcheck).toEqual({
      test: ['CMD', 'node', 'check.js'],
      startPeriod: '1s',
    });
    expect(parse('FROM x\nHEALTHCHECK NONE').healthcheck).toEqual({ test: ['NONE'] });
  });
});

describe('parseDockerfile: layout', () => {
  it('joins continuations, drops comments inside them, skips heredocs', () => {
    const text = [
      '# syntax=docker/dockerfile:1',
      'FROM node:20',
      '# a comment',
      'ENV A=1 \\',
      '  # a comment inside',
      '',
      '    B=2',
      'RUN <<EOF',
      'CMD ["not", "an", "instruction"]',
      'EOF',
      'RUN <<-END cat > /x',
      '\tENV C=3',
      '\tEND',
      'CMD ["node", \\',
      '     "server.js"]',
    ].join('\n');
    const result = parse(text);
    expect(result.env).toEqual({ A: '1', B: '2' });
    expect(result.cmd).toEqual(['node', 'server.js']);
  });

  it('honours the escape directive', () => {
    const result = parse('# escape=`\nFROM x\nENV A=1 `\n  B=C:\\path');
    expect(result.env).toEqual({ A: '1', B: 'C:\\path' });
  });

  it('stops at the target stage and inherits from named stages', () => {
    const text = [
      'ARG BASE=node:20',
      'FROM $BASE AS base',
      'WORKDIR /app',
      'ENV NODE_ENV=production',
      'FROM base AS dev',
      'ENV NODE_ENV=development',
      'CMD ["npm", "run", "dev"]',
      'FROM base AS prod',
      'CMD ["node", "server.js"]',
    ].join('\n');
    expect(parse(text)).toMatchObject({
      stage: 'prod',
      workingDir: '/app',
      env: { NODE_ENV: 'production' },
      cmd: ['node', 'server.js'],
    });
    expect(parse(text, { target: 'dev' })).toMatchObject({
      stage: 'dev',
      workingDir: '/app',
      env: { NODE_ENV: 'development' },
      cmd: ['npm', 'run', 'dev'],
    });
    expect(parse(text, { target: 'base' }).cmd).toBeUndefined();
  });

  it('a stage FROM an external image starts empty', () => {
    const result = parse('FROM a AS one\nENV A=1\nCMD ["a"]\nFROM b\nENV B=2');
    expect(result.env).toEqual({ B: '2' });
    expect(result.cmd).toBeUndefined();
  });

  it.each([
    ['no FROM', 'CMD ["x"]', /CMD before the first FROM/],
    ['empty', '# nothing\n', /has no FROM instruction/],
    [
      'unknown target',
      'FROM x AS a\nFROM y AS b',
      /build target "nope" is not a stage of Dockerfile \(stages: a, b\)/,
    ],
    ['bad ENV', 'FROM x\nENV A=1 B', /ENV: "B" is not NAME=VALUE/],
    ['bad HEALTHCHECK', 'FROM x\nHEALTHCHECK curl x', /HEALTHCHECK needs CMD or NONE/],
  ])('error: %s', (_name, text, message) => {
    let error: unknown;
    try {
      parse(text, { target: _name === 'unknown target' ? 'nope' : undefined });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ComposeError);
    expect((error as Error).message).toMatch(message);
  });

  it('reports the line of a bad instruction', () => {
    expect(() => parse('FROM x\n\nENV A=1 \\\n  B', { file: '/ctx/Dockerfile' })).toThrow(
      /^\/ctx\/Dockerfile:3: ENV/,
    );
  });
});

describe('words', () => {
  it('splits on blanks outside quotes, keeping quotes', () => {
    expect(splitWords(`A=1 B="x y" C='p q' D=a\\ b`)).toEqual(['A=1', 'B="x y"', "C='p q'", 'D=a\\ b']);
  });

  it('processes quotes, escapes and variables', () => {
    const vars: Record<string, string> = { A: 'a', EMPTY: '' };
    const lookup = (name: string): string | undefined => vars[name];
    expect(processWord('"$A-${A}" \'$A\' \\$A', lookup)).toBe('a-a $A $A');
    expect(processWord('${EMPTY:-d}${EMPTY-d}${NONE-d}', lookup)).toBe('dd');
    expect(processWord('$ alone $1x', lookup)).toBe('$ alone ');
  });

  it('gives instructions their first line', () => {
    const { instructions } = splitInstructions('FROM x\n\nRUN a \\\n b\nCMD c');
    expect(instructions.map((i) => [i.keyword, i.line])).toEqual([
      ['FROM', 1],
      ['RUN', 3],
      ['CMD', 5],
    ]);
  });
});

describe('readImageDefaults', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-dockerfile-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads the Dockerfile of the context, a dockerfile path relative to it, or dockerfile_inline', async () => {
    await writeFile(join(dir, 'Dockerfile'), 'FROM x\nCMD ["default"]\n');
    await mkdir(join(dir, 'docker'));
    await writeFile(join(dir, 'docker', 'dev.Dockerfile'), 'FROM x\nARG M=a\nENV M=$M\nCMD ["dev"]\n');
    expect((await readImageDefaults({ context: dir })).cmd).toEqual(['default']);
    const dev = await readImageDefaults({
      context: dir,
      dockerfile: 'docker/dev.Dockerfile',
      args: { M: 'b' },
    });
    expect(dev).toMatchObject({ cmd: ['dev'], env: { M: 'b' } });
    const inline = await readImageDefaults({ context: dir, dockerfile_inline: 'FROM x\nCMD ["inline"]' });
    expect(inline.cmd).toEqual(['inline']);
  });

  it('says which Dockerfile it cannot read', async () => {
    await expect(readImageDefaults({ context: dir, dockerfile: 'Missing.Dockerfile' })).rejects.toThrow(
      /cannot read Dockerfile .*Missing\.Dockerfile: ENOENT/,
    );
  });
});
