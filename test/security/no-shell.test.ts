/**
 * No shell runs anything but CMD-SHELL healthchecks and what the user wrote as `sh -c`: shell
 * metacharacters in command words (list and string forms), environment values, labels, paths, exec
 * arguments and exec-form healthchecks reach the program literally and create no marker file; names
 * that carry them are refused. `sh`, `bash` and `dash` on PATH are replaced by wrappers that log
 * every call, and berth's sources are checked for the ways a shell could be started.
 */
import { chmod, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, describe, expect, it } from 'vitest';

import { expectCleanFailure } from '../cli/helpers.js';
import { cleanupsAfterEach } from '../support/cleanups.js';
import { securityProject } from './security-project.js';

const defer = cleanupsAfterEach(60_000);

const srcRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'src');

/** Each word a shell would act on, aimed at a marker file `<pwn>/<tag>`. */
function hostile(pwn: string, tag: string): string[] {
  return [
    `$$(touch ${pwn}/${tag}-subst)`,
    `\`touch ${pwn}/${tag}-tick\``,
    `; touch ${pwn}/${tag}-semi`,
    `| touch ${pwn}/${tag}-pipe`,
    `&& touch ${pwn}/${tag}-and`,
    `> ${pwn}/${tag}-redirect`,
  ];
}

/** The words as the program must receive them (the compose file's `$$` is one `$`). */
function literal(words: string[]): string[] {
  return words.map((w) => w.replaceAll('$$', '$'));
}

const PRINT_ARGS = `console.log('ARGS ' + JSON.stringify(process.argv.slice(1))); console.log('EVIL ' + JSON.stringify(process.env.EVIL)); setInterval(() => {}, 1000)`;

function compose(pwn: string): string {
  const words = (tag: string): string => JSON.stringify(hostile(pwn, tag));
  return `
services:
  web:
    image: local
    command: ["node", "-e", ${JSON.stringify(PRINT_ARGS)}, "MARKER", ${words('cmd').slice(1, -1)}]
    environment:
      EVIL: "$$(touch ${pwn}/env-subst); touch ${pwn}/env-semi \`touch ${pwn}/env-tick\`"
    labels:
      evil: "$$(touch ${pwn}/label-subst); touch ${pwn}/label-semi"
    working_dir: "/work/$$(touch ${pwn}/workdir)"
    volumes:
      - type: bind
        source: "./data $$(touch ${pwn}/bind)"
        target: /data
        bind:
          create_host_path: true
    healthcheck:
      test: ["CMD", "node", "-e", "process.exit(0)", ${words('health').slice(1, -1)}]
      interval: 1s
      start_period: 0s
  words:
    image: local
    command: node -e "setInterval(() => {}, 1000)" MARKER '$$(touch ${pwn}/string-subst)' "; touch ${pwn}/string-semi" \\$$HOME
  shelled:
    image: local
    command: ["sh", "-c", "touch ${pwn}/user-shell && exec node -e 'setInterval(() => {}, 1000)' MARKER"]
    healthcheck:
      test: ["CMD-SHELL", "touch ${pwn}/cmd-shell"]
      interval: 1s
      start_period: 0s
`;
}

/** `sh`, `bash` and `dash` wrappers that log `<name> <args>` to `log`, then run the real shell. */
async function loggingShells(dir: string, log: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const name of ['sh', 'bash', 'dash']) {
    const file = path.join(dir, name);
    await writeFile(file, `#!/bin/dash\nprintf '%s\\n' "${name} $*" >> '${log}'\nexec /bin/${name} "$@"\n`);
    await chmod(file, 0o755);
  }
}

/** Words with metacharacters handed to berth, and marker files they made (a shell ran them). */
const figures = { words: 0, markers: 0 };
afterAll(() => {
  process.stdout.write(
    `figure: shell metacharacters: ${figures.words} hostile words passed, ${figures.markers} interpreted by a shell\n`,
  );
});

describe('no shell', () => {
  it('passes metacharacters literally everywhere, and runs only the shells the user wrote', async () => {
    const p = await securityProject({}, defer);
    const pwn = path.join(p.root, 'pwned');
    await mkdir(pwn);
    const shells = path.join(p.root, 'shells');
    const log = path.join(p.root, 'shells.log');
    await loggingShells(shells, log);
    await writeFile(path.join(p.dir, 'compose.yaml'), compose(pwn).replaceAll('MARKER', p.marker));
    const env = { PATH: `${shells}:${process.env.PATH ?? '/usr/bin:/bin'}` };

    const up = await p.berth(['up', '-d', '--wait', '--wait-timeout', '30'], { env, timeoutMs: 45_000 });
    expect(up.exitCode, up.stderr).toBe(0);
    const exec = await p.berth(
      [
        'exec',
        '-T',
        'web',
        'node',
        '-e',
        'console.log(JSON.stringify(process.argv.slice(1)))',
        ...literal(hostile(pwn, 'exec')),
      ],
      { env },
    );
    expect(exec.exitCode, exec.stderr).toBe(0);
    expect(JSON.parse(exec.stdout)).toEqual(literal(hostile(pwn, 'exec')));

    const logs = await p.berth(['logs', '--no-log-prefix', 'web'], { env });
    expect(logs.stdout).toContain(`ARGS ${JSON.stringify([p.marker, ...literal(hostile(pwn, 'cmd'))])}`);
    expect(logs.stdout).toContain(
      `EVIL ${JSON.stringify(`$(touch ${pwn}/env-subst); touch ${pwn}/env-semi \`touch ${pwn}/env-tick\``)}`,
    );
    const words = await p.berth(['ps', '--format', 'json', 'words'], { env });
    expect(words.stdout).toContain('"State":"running"');
    // The bind source is a folder of that very name (its slashes make folders), in the project folder.
    expect((await stat(path.join(p.dir, `data $(touch ${pwn}/bind)`))).isDirectory()).toBe(true);
    const inspect = await p.berth(['ps', '--format', 'json', 'web'], { env });
    expect(inspect.stdout).toContain('"State":"running"');

    // Only the user's `sh -c` and CMD-SHELL ran a shell: their markers, and nothing else.
    const markers = (await readdir(pwn)).sort();
    // cmd, health and exec words, 3 in EVIL, 2 in the label, working_dir, bind source, 2 string words.
    figures.words += 3 * hostile(pwn, '').length + 3 + 2 + 1 + 1 + 2;
    figures.markers += markers.filter((m) => m !== 'cmd-shell' && m !== 'user-shell').length;
    expect(markers).toEqual(['cmd-shell', 'user-shell']);
    const called = (await readFile(log, 'utf8').catch(() => '')).split('\n').filter(Boolean);
    expect(called.length).toBeGreaterThan(0);
    for (const line of called) expect(line).toMatch(/^sh -c touch .*\/user-shell && exec node/);
  }, 90_000);

  it('refuses names that carry metacharacters, and runs nothing for them', async () => {
    const p = await securityProject({}, defer);
    const pwn = path.join(p.root, 'pwned');
    await mkdir(pwn);
    const cases: [string, string[]][] = [
      [`services:\n  "a$$(touch ${pwn}/service)":\n    image: local\n    command: ["true"]\n`, []],
      [
        `services:\n  a:\n    image: local\n    command: ["true"]\n    container_name: "a;touch ${pwn}/container"\n`,
        [],
      ],
      [`services:\n  a:\n    image: local\n    command: ["true"]\n`, ['-p', `x;touch ${pwn}/project`]],
      [`name: "x$$(touch ${pwn}/name)"\nservices:\n  a:\n    image: local\n    command: ["true"]\n`, []],
    ];
    for (const [text, flags] of cases) {
      await writeFile(path.join(p.dir, 'compose.yaml'), text);
      const run = await p.berth([...flags, 'up', '-d']);
      if (run.exitCode !== 0) expectCleanFailure(run);
      await p.berth([...flags, 'down']);
    }
    figures.words += cases.length;
    figures.markers += (await readdir(pwn)).length;
    expect(await readdir(pwn)).toEqual([]);
  }, 60_000);

  it('leaves no way to a shell in the sources: no shell option, exec or exec-like string runner', async () => {
    const offenders: string[] = [];
    const shellLiterals: string[] = [];
    for (const file of await sourceFiles(srcRoot)) {
      const text = await readFile(file, 'utf8');
      const rel = path.relative(srcRoot, file);
      if (/\bshell\s*:\s*(true|['"`])/.test(text)) offenders.push(`${rel}: spawn option shell`);
      const childProcess = /import\s*\{([^}]*)\}\s*from\s*'node:child_process'/.exec(text)?.[1] ?? '';
      for (const name of ['exec', 'execSync']) {
        if (new RegExp(`(^|[\\s,])${name}([\\s,]|$)`).test(childProcess)) offenders.push(`${rel}: ${name}`);
      }
      const execa = /import\s*\{([^}]*)\}\s*from\s*'execa'/.exec(text)?.[1] ?? '';
      if (/\bexecaCommand|(^|[\s,])\$([\s,]|$)/.test(execa)) offenders.push(`${rel}: execa string runner`);
      for (const match of text.matchAll(/['"](\/bin\/(?:ba|da)?sh|(?:ba|da)?sh)['"]/g)) {
        shellLiterals.push(`${rel}: ${match[1]}`);
      }
    }
    expect(offenders).toEqual([]);
    // The only shells named: CMD-SHELL's /bin/sh, a Dockerfile's shell form (and its SHELL example),
    // and the list that tells a user's `sh -c` script apart for path mapping.
    expect(shellLiterals.sort()).toEqual([
      'engine/local/command-line.ts: bash',
      'engine/local/command-line.ts: dash',
      'engine/local/command-line.ts: sh',
      'engine/local/dockerfile.ts: /bin/bash',
      'engine/local/dockerfile.ts: /bin/sh',
      'engine/local/health-monitor.ts: /bin/sh',
    ]);
  });
});

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await sourceFiles(file)));
    else if (entry.name.endsWith('.ts')) out.push(file);
  }
  return out;
}
