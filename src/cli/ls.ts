import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

import { type Command, Option } from 'commander';

import { Labels } from '../engine/labels.js';
import { defaultStateRoot } from '../engine/local/state-dir.js';
import { selectEngineKind } from '../engine/select.js';
import type { ContainerInfo, Engine } from '../engine/types.js';
import { ComposeError } from '../project/errors.js';
import { formatTable } from '../ui/table.js';
import { CommandContext } from './command-context.js';
import type { CliIO } from './io.js';

interface LsFlags {
  all?: boolean;
  format: string;
  quiet?: boolean;
  filter?: string[];
}

/** One row of `ls`, with the keys `docker compose ls --format json` writes. */
export interface ProjectSummary {
  Name: string;
  Status: string;
  ConfigFiles: string;
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

export function lsCommand(program: Command, io: CliIO): Command {
  return program
    .command('ls')
    .description('List running compose projects')
    .option('-a, --all', 'show all stopped Compose projects')
    .addOption(
      new Option('--format <format>', 'format the output').choices(['table', 'json']).default('table'),
    )
    .option('-q, --quiet', 'only display project names')
    .addOption(
      new Option('--filter <key=value>', 'filter output based on conditions (name=...)').argParser(collect),
    )
    .action(async (flags: LsFlags, command: Command) => {
      await runLs(new CommandContext(io, command), flags);
    });
}

async function runLs(ctx: CommandContext, flags: LsFlags): Promise<void> {
  const nameFilters = (flags.filter ?? []).map(parseNameFilter);
  const summaries: ProjectSummary[] = [];
  // The Docker engine knows every project itself (by labels, also those of docker compose).
  const docker =
    selectEngineKind(ctx.globals.engine, ctx.io.env) === 'docker'
      ? await ctx.engine('', 'existing')
      : undefined;
  try {
    const names = docker
      ? (await docker.engine.listProjects()).map((p) => p.name).sort()
      : await knownProjects(ctx);
    for (const name of names) {
      if (nameFilters.length > 0 && !nameFilters.some((wanted) => name.includes(wanted))) continue;
      const summary = await projectSummary(ctx, name, flags.all === true, docker?.engine);
      if (summary !== undefined) summaries.push(summary);
    }
  } finally {
    await docker?.release();
  }
  render(ctx, flags, summaries);
}

async function projectSummary(
  ctx: CommandContext,
  name: string,
  all: boolean,
  engine: Engine | undefined,
): Promise<ProjectSummary | undefined> {
  let containers: ContainerInfo[];
  try {
    containers = engine
      ? await engine.listContainers({ project: name, all: true, oneoff: false })
      : await projectContainers(ctx, name);
  } catch (error) {
    // One unreadable project must not hide the others.
    ctx.io.stderr(`WARN project "${name}": ${error instanceof Error ? error.message : String(error)}\n`);
    return undefined;
  }
  return summarize(name, containers, all);
}

function render(ctx: CommandContext, flags: LsFlags, summaries: readonly ProjectSummary[]): void {
  if (flags.quiet) ctx.io.stdout(summaries.map((s) => `${s.Name}\n`).join(''));
  else if (flags.format === 'json') ctx.io.stdout(`${JSON.stringify(summaries)}\n`);
  else {
    ctx.io.stdout(
      formatTable(
        ['NAME', 'STATUS', 'CONFIG FILES'],
        summaries.map((s) => [s.Name, s.Status, s.ConfigFiles]),
      ),
    );
  }
}

/**
 * Compose's row of a project: its containers counted by state (`exited(1), running(2)`), only the
 * running ones without -a; a project with none of those is not listed.
 */
export function summarize(
  name: string,
  containers: readonly ContainerInfo[],
  all: boolean,
): ProjectSummary | undefined {
  const counted = containers.filter(
    (c) => !c.oneoff && (all || c.status === 'running' || c.status === 'paused' || c.status === 'restarting'),
  );
  if (counted.length === 0) return undefined;
  const counts = new Map<string, number>();
  for (const c of counted) counts.set(c.status, (counts.get(c.status) ?? 0) + 1);
  const status = [...counts.keys()]
    .sort()
    .map((s) => `${s}(${counts.get(s) ?? 0})`)
    .join(', ');
  const files = [...new Set(counted.map((c) => c.labels[Labels.configFiles] ?? '').filter((f) => f !== ''))];
  return { Name: name, Status: status, ConfigFiles: files.join(',') };
}

/** Each project through its own engine: a running supervisor answers, a dead one's state is cleaned. */
async function projectContainers(ctx: CommandContext, project: string): Promise<ContainerInfo[]> {
  const access = await ctx.engine(project, 'existing');
  try {
    return await access.engine.listContainers({ project, all: true, oneoff: false });
  } finally {
    await access.release();
  }
}

/** The projects that have a state folder under the state root (sorted). */
async function knownProjects(ctx: CommandContext): Promise<string[]> {
  selectEngineKind(ctx.globals.engine, ctx.io.env);
  const root = path.join(defaultStateRoot(ctx.io.env as NodeJS.ProcessEnv), 'projects');
  const names = await readdir(root).catch(() => [] as string[]);
  const projects: string[] = [];
  for (const name of names.sort()) {
    const isProject = await stat(path.join(root, name, 'state.json')).then(
      (s) => s.isFile(),
      () => false,
    );
    if (isProject) projects.push(name);
  }
  return projects;
}

function parseNameFilter(filter: string): string {
  const match = /^name=(.*)$/.exec(filter);
  if (match === null) {
    throw new ComposeError(`invalid filter "${filter}"`, {
      hint: 'ls filters by name only: --filter name=myapp',
    });
  }
  return match[1] ?? '';
}
