/**
 * What a build context's Dockerfile says a container runs by default. berth builds no image, so it reads
 * the Dockerfile instead: the stages up to `build.target` (or the last one), and in them the instructions
 * that shape the container's configuration — CMD, ENTRYPOINT, WORKDIR, ENV, ARG, EXPOSE, USER,
 * STOPSIGNAL, HEALTHCHECK, SHELL. Everything else (RUN, COPY ...) is skipped: it changes files, not the
 * configuration. A stage `FROM` an external image starts empty, since berth cannot know that image.
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, posix } from 'node:path';

import { ComposeError } from '../../project/errors.js';
import type { BuildConfig } from '../../project/types.js';

export interface DockerfileHealthcheck {
  /** `['CMD', ...]`, `['CMD-SHELL', script]` or `['NONE']`. */
  test: string[];
  interval?: string;
  timeout?: string;
  startPeriod?: string;
  startInterval?: string;
  retries?: number;
}

/** The configuration of the selected stage, as far as the Dockerfile tells it. */
export interface ImageDefaults {
  /** Name of the stage (its `AS` name, or its index). */
  stage: string;
  entrypoint?: string[];
  cmd?: string[];
  workingDir?: string;
  env: Record<string, string>;
  /** `80/tcp`, `53/udp`, `8000-8010` as written (after substitution). */
  expose: string[];
  user?: string;
  stopSignal?: string;
  healthcheck?: DockerfileHealthcheck;
}

export interface ParseDockerfileOptions {
  /** Shown in errors. */
  file?: string;
  target?: string;
  /** `build.args`: override the defaults of the ARGs the Dockerfile declares; null = unset. */
  buildArgs?: Record<string, string | null>;
  /** Variables an external base image is assumed to define (PATH), for `$PATH` in ENV. Not output. */
  baseEnv?: Record<string, string>;
}

interface Stage {
  name: string;
  config: ImageDefaults;
  args: Map<string, string | undefined>;
  /** CMD was set in this stage: ENTRYPOINT then keeps it instead of resetting it, as Docker does. */
  cmdSet: boolean;
  shell: string[];
}

interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

const DEFAULT_SHELL = ['/bin/sh', '-c'];

/** Reads the Dockerfile of `build` (inline, or `dockerfile` relative to the context) and parses it. */
export async function readImageDefaults(
  build: BuildConfig,
  baseEnv: Record<string, string> = {},
): Promise<ImageDefaults> {
  let text = build.dockerfile_inline;
  let file = 'dockerfile_inline';
  if (text === undefined) {
    const name = build.dockerfile ?? 'Dockerfile';
    file = isAbsolute(name) ? name : join(build.context, name);
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new ComposeError(
        `cannot read Dockerfile ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`,
        {
          hint: 'check build.context and build.dockerfile, or set dockerfile_inline',
          cause: error,
        },
      );
    }
  }
  return parseDockerfile(text, { file, target: build.target, buildArgs: build.args, baseEnv });
}

/** Parses Dockerfile text into the selected stage's defaults. Throws ComposeError on what it cannot read. */
export function parseDockerfile(text: string, options: ParseDockerfileOptions = {}): ImageDefaults {
  const file = options.file ?? 'Dockerfile';
  const buildArgs = options.buildArgs ?? {};
  const baseEnv = options.baseEnv ?? {};
  const { instructions, escape } = splitInstructions(text);
  const globalArgs = new Map<string, string | undefined>();
  const stages: Stage[] = [];
  let stage: Stage | undefined;

  const fail = (problem: string, line: number, hint?: string): never => {
    throw new ComposeError(problem, { location: { file, line }, hint });
  };

  for (const { keyword, args, line } of instructions) {
    if (keyword === 'FROM') {
      stage = fromStage(args, globalArgs, stages, escape, () =>
        fail('FROM needs an image', line, 'write FROM <image> [AS <name>]'),
      );
      stages.push(stage);
      continue;
    }
    if (keyword === 'ARG') {
      const scope = stage?.args ?? globalArgs;
      const lookup = stage ? stageLookup(stage, baseEnv) : (name: string) => globalArgs.get(name);
      for (const word of splitWords(args, escape)) {
        const eq = word.indexOf('=');
        const name = eq < 0 ? word : word.slice(0, eq);
        const fallback = eq < 0 ? undefined : processWord(word.slice(eq + 1), lookup, escape);
        const given = Object.hasOwn(buildArgs, name) ? buildArgs[name] : undefined;
        const inherited = stage && eq < 0 ? globalArgs.get(name) : undefined;
        scope.set(name, typeof given === 'string' ? given : (fallback ?? inherited));
      }
      continue;
    }
    if (stage === undefined) {
      fail(`${keyword} before the first FROM`, line, 'only ARG may come before FROM');
      continue;
    }
    applyInstruction(stage, keyword, args, escape, baseEnv, (problem, hint) => fail(problem, line, hint));
  }

  if (stages.length === 0) fail('the Dockerfile has no FROM instruction', 1, 'start it with FROM <image>');
  if (options.target === undefined) return stages[stages.length - 1]!.config;
  const wanted = options.target.toLowerCase();
  const found = stages.find((s) => s.name.toLowerCase() === wanted);
  if (found) return found.config;
  const names = stages.map((s) => s.name).filter((n) => !/^\d+$/.test(n));
  throw new ComposeError(`build target "${options.target}" is not a stage of ${file}`, {
    hint: names.length > 0 ? `stages: ${names.join(', ')}` : 'name a stage with FROM <image> AS <name>',
  });
}

function fromStage(
  args: string,
  globalArgs: Map<string, string | undefined>,
  stages: Stage[],
  escape: string,
  onMissing: () => never,
): Stage {
  const words = splitWords(args, escape).filter((w) => !w.startsWith('--'));
  if (words.length === 0) onMissing();
  const image = processWord(words[0]!, (name) => globalArgs.get(name), escape);
  const name = words.length >= 3 && words[1]!.toLowerCase() === 'as' ? words[2]! : String(stages.length);
  const parent = stages.find((s) => s.name.toLowerCase() === image.toLowerCase());
  const config: ImageDefaults = parent
    ? structuredClone({ ...parent.config, stage: name })
    : { stage: name, env: {}, expose: [] };
  return {
    name,
    config,
    args: new Map(),
    cmdSet: false,
    shell: [...(parent?.shell ?? DEFAULT_SHELL)],
  };
}

/** ENV wins over ARG of the same name; an external base image may define the rest (PATH). */
function stageLookup(stage: Stage, baseEnv: Record<string, string>): (name: string) => string | undefined {
  return (name) => {
    if (Object.hasOwn(stage.config.env, name)) return stage.config.env[name];
    if (stage.args.has(name)) return stage.args.get(name);
    return Object.hasOwn(baseEnv, name) ? baseEnv[name] : undefined;
  };
}

function applyInstruction(
  stage: Stage,
  keyword: string,
  args: string,
  escape: string,
  baseEnv: Record<string, string>,
  fail: (problem: string, hint?: string) => never,
): void {
  const config = stage.config;
  const lookup = stageLookup(stage, baseEnv);
  const expand = (word: string): string => processWord(word, lookup, escape);
  switch (keyword) {
    case 'ENV': {
      // All values of one ENV see the variables as they were before it (Docker's rule).
      const pairs = keyValues(args, escape, 'ENV', fail).map(([k, v]) => [expand(k), expand(v)] as const);
      for (const [key, value] of pairs) config.env[key] = value;
      return;
    }
    case 'WORKDIR': {
      const dir = expand(args.trim());
      if (dir === '') fail('WORKDIR needs a path');
      config.workingDir = posix.normalize(
        posix.isAbsolute(dir) ? dir : posix.join(config.workingDir ?? '/', dir),
      );
      if (config.workingDir.length > 1 && config.workingDir.endsWith('/'))
        config.workingDir = config.workingDir.slice(0, -1);
      return;
    }
    case 'CMD':
      config.cmd = commandForm(args, stage.shell);
      stage.cmdSet = true;
      return;
    case 'ENTRYPOINT':
      config.entrypoint = commandForm(args, stage.shell);
      if (!stage.cmdSet) delete config.cmd;
      return;
    case 'SHELL': {
      const shell = jsonArray(args);
      if (shell === undefined || shell.length === 0)
        fail('SHELL needs a JSON array', 'write SHELL ["/bin/bash", "-c"]');
      stage.shell = shell;
      return;
    }
    case 'EXPOSE':
      for (const word of splitWords(args, escape)) {
        const port = expand(word);
        if (!config.expose.includes(port)) config.expose.push(port);
      }
      return;
    case 'USER':
      config.user = expand(args.trim());
      return;
    case 'STOPSIGNAL':
      config.stopSignal = expand(args.trim());
      return;
    case 'HEALTHCHECK':
      config.healthcheck = healthcheck(args, escape, fail);
      return;
    default:
      // RUN, COPY, ADD, LABEL, VOLUME, ONBUILD ...: they do not change what the container runs.
      return;
  }
}

/** Exec form (a JSON array, used as is) or shell form (run by the stage's SHELL). */
function commandForm(args: string, shell: string[]): string[] {
  const exec = jsonArray(args);
  if (exec !== undefined) return exec;
  const script = args.trim();
  return script === '' ? [] : [...shell, script];
}

function jsonArray(args: string): string[] | undefined {
  const text = args.trim();
  if (!text.startsWith('[')) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
  } catch {
    // Not JSON: Docker then takes the whole text as shell form.
  }
  return undefined;
}

const HEALTH_FLAGS: Record<string, keyof Omit<DockerfileHealthcheck, 'test' | 'retries'>> = {
  interval: 'interval',
  timeout: 'timeout',
  'start-period': 'startPeriod',
  'start-interval': 'startInterval',
};

function healthcheck(
  args: string,
  escape: string,
  fail: (problem: string, hint?: string) => never,
): DockerfileHealthcheck {
  let rest = args.trim();
  const check: DockerfileHealthcheck = { test: [] };
  for (;;) {
    const flag = /^--([a-z-]+)=(\S*)\s*/.exec(rest);
    if (!flag) break;
    rest = rest.slice(flag[0].length);
    const [, name, value] = flag as unknown as [string, string, string];
    if (name === 'retries') {
      check.retries = Number(value);
      if (!Number.isInteger(check.retries)) fail(`HEALTHCHECK --retries must be a number, got "${value}"`);
    } else if (Object.hasOwn(HEALTH_FLAGS, name)) {
      check[HEALTH_FLAGS[name]!] = value;
    } else {
      fail(
        `unknown HEALTHCHECK flag --${name}`,
        'use --interval, --timeout, --start-period, --start-interval or --retries',
      );
    }
  }
  const [keyword = ''] = splitWords(rest, escape);
  if (keyword.toUpperCase() === 'NONE') return { test: ['NONE'] };
  if (keyword.toUpperCase() !== 'CMD')
    fail('HEALTHCHECK needs CMD or NONE', 'write HEALTHCHECK CMD <command>');
  const command = rest.slice(keyword.length);
  const exec = jsonArray(command);
  check.test = exec !== undefined ? ['CMD', ...exec] : ['CMD-SHELL', command.trim()];
  return check;
}

/** `K=V K2="v 2"` or the legacy `K value with spaces`; keys and values still raw (quotes kept). */
function keyValues(
  args: string,
  escape: string,
  keyword: string,
  fail: (problem: string, hint?: string) => never,
): [string, string][] {
  const words = splitWords(args, escape);
  if (words.length === 0) fail(`${keyword} needs a name and a value`);
  if (!words[0]!.includes('=')) {
    const text = args.trim();
    const value = text.slice(words[0]!.length).trim();
    if (value === '') fail(`${keyword} ${words[0]} has no value`, `write ${keyword} ${words[0]}=<value>`);
    return [[words[0]!, value]];
  }
  return words.map((word) => {
    const eq = word.indexOf('=');
    if (eq <= 0)
      fail(`${keyword}: "${word}" is not NAME=VALUE`, `write ${keyword} NAME=VALUE [NAME2=VALUE2 ...]`);
    return [word.slice(0, eq), word.slice(eq + 1)];
  });
}

/**
 * Logical instructions: parser directives read, comments and blank lines dropped, line continuations
 * joined, heredoc bodies (`RUN <<EOF`) skipped.
 */
export function splitInstructions(text: string): { instructions: Instruction[]; escape: string } {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  let escape = '\\';
  let index = 0;
  // Parser directives: `# name=value` lines at the very top.
  for (; index < lines.length; index++) {
    const directive = /^#\s*([A-Za-z]+)\s*=\s*(\S+)\s*$/.exec(lines[index]!);
    if (!directive) break;
    if (directive[1]!.toLowerCase() === 'escape' && (directive[2] === '`' || directive[2] === '\\'))
      escape = directive[2];
  }
  const instructions: Instruction[] = [];
  let buffer: string | undefined;
  let start = 0;
  for (; index < lines.length; index++) {
    const raw = lines[index]!;
    const trimmed = raw.trim();
    if (trimmed.startsWith('#') || (trimmed === '' && buffer === undefined)) continue;
    if (trimmed === '') continue; // an empty line inside a continuation is dropped
    if (buffer === undefined) {
      buffer = '';
      start = index + 1;
    }
    const end = raw.trimEnd();
    if (end.endsWith(escape)) {
      buffer += end.slice(0, -1);
      continue;
    }
    buffer += raw;
    const match = /^\s*(\S+)\s*([\s\S]*)$/.exec(buffer)!;
    const instruction = { keyword: match[1]!.toUpperCase(), args: match[2]!, line: start };
    instructions.push(instruction);
    buffer = undefined;
    index = skipHeredocs(instruction, lines, index);
  }
  if (buffer !== undefined) {
    const match = /^\s*(\S+)\s*([\s\S]*)$/.exec(buffer)!;
    instructions.push({ keyword: match[1]!.toUpperCase(), args: match[2]!, line: start });
  }
  return { instructions, escape };
}

/** Returns the index of the last line of the heredoc bodies that follow `instruction` (or `index`). */
function skipHeredocs(instruction: Instruction, lines: string[], index: number): number {
  if (!['RUN', 'COPY', 'ADD'].includes(instruction.keyword)) return index;
  const heredoc = /<<(-?)(["']?)([A-Za-z_][\w.-]*)\2/g;
  let next = index;
  for (const match of instruction.args.matchAll(heredoc)) {
    const stripTabs = match[1] === '-';
    const word = match[3]!;
    next++;
    while (next < lines.length) {
      const line = stripTabs ? lines[next]!.replace(/^\t+/, '') : lines[next]!;
      if (line === word) break;
      next++;
    }
  }
  return next;
}

/** Splits on blanks outside quotes; quotes and escapes are kept for processWord. */
export function splitWords(text: string, escape = '\\'): string[] {
  const words: string[] = [];
  let word = '';
  let quote: string | undefined;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === escape && quote !== "'" && i + 1 < text.length) {
      word += ch + text[i + 1]!;
      inWord = true;
      i++;
    } else if (quote !== undefined) {
      word += ch;
      if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'") {
      word += ch;
      quote = ch;
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/**
 * Docker's word processing: quotes removed, escapes applied, `$VAR`, `${VAR}`, `${VAR:-default}`,
 * `${VAR-default}`, `${VAR:+alt}`, `${VAR+alt}` substituted (not inside single quotes); an unset
 * variable is empty.
 */
export function processWord(
  word: string,
  lookup: (name: string) => string | undefined,
  escape = '\\',
): string {
  let out = '';
  let i = 0;
  const variable = (): string => {
    // At a `$`: returns the substitution and advances i past it.
    const next = word[i + 1];
    if (next === '{') {
      const close = matchingBrace(word, i + 1);
      if (close < 0) {
        out += '$';
        i++;
        return '';
      }
      const body = word.slice(i + 2, close);
      i = close + 1;
      const op = /^([A-Za-z_][A-Za-z0-9_]*)(:?[-+?])?([\s\S]*)$/.exec(body);
      if (!op) return '';
      const [, name, operator, rest] = op as unknown as [string, string, string | undefined, string];
      const value = lookup(name);
      const set = value !== undefined && (operator?.startsWith(':') ? value !== '' : true);
      if (operator === undefined) return value ?? '';
      const alternative = processWord(rest, lookup, escape);
      if (operator.endsWith('-')) return set ? value! : alternative;
      if (operator.endsWith('+')) return set ? alternative : '';
      return value ?? '';
    }
    const name = /^[A-Za-z0-9_]+/.exec(word.slice(i + 1));
    if (!name) {
      i++;
      return '$';
    }
    i += 1 + name[0].length;
    return lookup(name[0]) ?? '';
  };
  while (i < word.length) {
    const ch = word[i]!;
    if (ch === "'") {
      const end = word.indexOf("'", i + 1);
      const stop = end < 0 ? word.length : end;
      out += word.slice(i + 1, stop);
      i = stop + 1;
    } else if (ch === '"') {
      i++;
      while (i < word.length && word[i] !== '"') {
        const c = word[i]!;
        if (c === escape && i + 1 < word.length && ['"', '$', escape].includes(word[i + 1]!)) {
          out += word[i + 1];
          i += 2;
        } else if (c === '$') {
          out += variable();
        } else {
          out += c;
          i++;
        }
      }
      i++;
    } else if (ch === escape && i + 1 < word.length) {
      out += word[i + 1];
      i += 2;
    } else if (ch === '$') {
      out += variable();
    } else {
      out += ch;
      i++;
    }
  }
  return out;
}

function matchingBrace(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) return i;
  }
  return -1;
}
