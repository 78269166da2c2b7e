import { type Command, Option } from 'commander';

import type { ContainerInfo, ContainerStatus } from '../engine/types.js';
import { ComposeError } from '../project/errors.js';
import { formatPsJson, formatPsTable, type PsJsonRow, psJsonRow } from '../ui/ps-format.js';
import { CommandContext } from './command-context.js';
import type { CliIO } from './io.js';
import { byName, checkServiceNames, projectTarget } from './project-target.js';

const STATUSES: readonly ContainerStatus[] = [
  'paused',
  'restarting',
  'removing',
  'running',
  'dead',
  'created',
  'exited',
];

interface PsFlags {
  all?: boolean;
  quiet?: boolean;
  services?: boolean;
  status?: string[];
  filter?: string[];
  format: string;
  trunc: boolean;
  orphans: boolean;
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

export function psCommand(program: Command, io: CliIO): Command {
  return program
    .command('ps')
    .description('List containers')
    .argument('[service...]', 'only the containers of these services')
    .option('-a, --all', 'show all stopped containers (including those created by the run command)')
    .option('-q, --quiet', 'only display IDs')
    .option('--services', 'display services')
    .addOption(
      new Option(
        '--status <status>',
        `filter services by status (repeatable): ${STATUSES.join(', ')}`,
      ).argParser(collect),
    )
    .addOption(
      new Option('--filter <key=value>', 'filter services by a property (status=running)').argParser(collect),
    )
    .addOption(
      new Option('--format <format>', 'table, json, or a template such as "{{.Name}}\\t{{.Status}}"').default(
        'table',
      ),
    )
    .option('--no-trunc', "don't truncate output")
    .option('--no-orphans', "don't include orphaned services (not declared by the project)")
    .action(async (services: string[], flags: PsFlags, command: Command) => {
      await runPs(new CommandContext(io, command), services, flags);
    });
}

async function runPs(ctx: CommandContext, services: string[], flags: PsFlags): Promise<void> {
  const statuses = [
    ...(flags.status ?? []).map((s) => parseStatus(s, `--status ${s}`)),
    ...statusFilters(flags.filter ?? []),
  ];
  const target = await projectTarget(ctx, services);
  checkServiceNames(target, services);
  const access = await ctx.engine(target.name, 'existing');
  let containers: ContainerInfo[];
  try {
    containers = await access.engine.listContainers({ project: target.name, all: true });
  } finally {
    await access.release();
  }
  const project = target.project;
  const shown = containers
    .filter((c) => c.project === target.name)
    .filter((c) => services.length === 0 || services.includes(c.service))
    .filter(
      (c) =>
        flags.orphans ||
        project === null ||
        c.service in project.services ||
        c.service in project.meta.disabledServices,
    )
    // Like `docker ps`: running, paused and restarting ones unless -a or a status filter.
    .filter((c) => (statuses.length > 0 ? statuses.includes(c.status) : flags.all === true || isUp(c)))
    .sort(byName);

  if (flags.quiet) {
    ctx.io.stdout(shown.map((c) => `${c.id}\n`).join(''));
  } else if (flags.services) {
    ctx.io.stdout([...new Set(shown.map((c) => c.service))].map((s) => `${s}\n`).join(''));
  } else if (flags.format === 'json') {
    ctx.io.stdout(formatPsJson(shown, { noTrunc: !flags.trunc }));
  } else if (flags.format === 'table') {
    ctx.io.stdout(formatPsTable(shown, { noTrunc: !flags.trunc }));
  } else {
    const render = psTemplate(flags.format);
    ctx.io.stdout(shown.map((c) => `${render(psJsonRow(c, { noTrunc: !flags.trunc }))}\n`).join(''));
  }
}

function isUp(c: ContainerInfo): boolean {
  return c.status === 'running' || c.status === 'paused' || c.status === 'restarting';
}

/** `--filter status=running`: the one filter compose's ps knows. */
function statusFilters(filters: readonly string[]): ContainerStatus[] {
  return filters.map((filter) => {
    const [key, value] = [filter.slice(0, filter.indexOf('=')), filter.slice(filter.indexOf('=') + 1)];
    if (key !== 'status' || !filter.includes('=')) {
      throw new ComposeError(`invalid filter "${filter}"`, {
        hint: 'ps filters by status only: --filter status=running',
      });
    }
    return parseStatus(value, `--filter ${filter}`);
  });
}

function parseStatus(value: string, flag: string): ContainerStatus {
  const status = STATUSES.find((s) => s === value);
  if (status === undefined) {
    throw new ComposeError(`invalid ${flag}: unknown status "${value}"`, {
      hint: `use one of ${STATUSES.join(', ')}`,
    });
  }
  return status;
}

/**
 * The common subset of Go templates scripts use with `ps --format`: `{{.Name}}`, `{{json .Publishers}}`,
 * `{{json .}}`, and `\t`/`\n` escapes. Anything else is refused rather than printed wrong.
 */
export function psTemplate(template: string): (row: PsJsonRow) => string {
  if (template.startsWith('table')) {
    throw new ComposeError(`unsupported --format "${template}"`, {
      hint: 'use table, json, or a template without "table", e.g. "{{.Name}}\\t{{.Status}}"',
    });
  }
  const text = template.replaceAll('\\t', '\t').replaceAll('\\n', '\n');
  const action = /\{\{\s*(json\s+)?\.([A-Za-z]*)\s*\}\}/g;
  const leftover = text.replace(action, '');
  if (leftover.includes('{{')) {
    throw new ComposeError(`unsupported --format "${template}"`, {
      hint: 'berth reads {{.Field}} and {{json .Field}} only; fields are those of --format json',
    });
  }
  return (row) =>
    text.replace(action, (_match, json: string | undefined, field: string) => {
      if (field === '') return JSON.stringify(row);
      if (!(field in row)) {
        throw new ComposeError(`--format: no field "${field}"`, {
          hint: `use one of ${Object.keys(row).join(', ')}`,
        });
      }
      const value = row[field as keyof PsJsonRow];
      return json !== undefined || typeof value === 'object' ? JSON.stringify(value) : String(value);
    });
}
