import { writeFile } from 'node:fs/promises';
import path from 'node:path';

import { type Command, Option } from 'commander';

import { buildGraph } from '../graph/build.js';
import { selectServices } from '../graph/select.js';
import { startOrder } from '../graph/levels.js';
import { ComposeError } from '../project/errors.js';
import { escapeDollars } from '../project/escape-dollars.js';
import { loadProject } from '../project/load.js';
import { projectToModel, renderJson, renderYaml } from '../project/serialize.js';
import type { Project } from '../project/types.js';
import { listVariables } from '../project/variables.js';
import { serviceConfigHash } from '../reconcile/config-hash.js';
import { type GlobalFlags, loadOptionsFrom } from './global-options.js';
import type { CliIO } from './io.js';
import { renderWarnings } from './render-error.js';

interface ConfigFlags {
  format: 'yaml' | 'json';
  output?: string;
  quiet?: boolean;
  services?: boolean;
  volumes?: boolean;
  networks?: boolean;
  profiles?: boolean;
  images?: boolean;
  hash?: string;
  interpolate: boolean;
  normalize: boolean;
  pathResolution: boolean;
  environment?: boolean;
  variables?: boolean;
}

export function configCommand(program: Command, io: CliIO): Command {
  return program
    .command('config')
    .description('Parse, resolve and render the compose file in canonical format')
    .argument('[service...]', 'services to render (their profiles are enabled)')
    .addOption(new Option('--format <format>', 'output format').choices(['yaml', 'json']).default('yaml'))
    .option('-o, --output <file>', 'write the output to a file instead of stdout')
    .option('-q, --quiet', 'only validate the configuration, print nothing')
    .option('--services', 'print the service names, one per line')
    .option('--volumes', 'print the volume names, one per line')
    .option('--networks', 'print the network names, one per line')
    .option('--profiles', 'print the profile names, one per line')
    .option('--images', 'print the image names, one per line')
    .option('--hash <services>', "print the service config hash, one per line ('*' for all)")
    .option('--no-interpolate', "don't interpolate environment variables")
    .option('--no-normalize', "don't normalize the compose model")
    .option('--no-path-resolution', "don't resolve file paths")
    .option('--environment', 'print the environment used for interpolation')
    .option('--variables', 'print the model variables and their default values')
    .action(async (services: string[], flags: ConfigFlags, command: Command) => {
      const globals = command.optsWithGlobals<GlobalFlags>();
      const options = loadOptionsFrom(globals, io, services);
      options.interpolate = flags.interpolate;
      options.normalize = flags.normalize;
      options.resolvePaths = flags.pathResolution;
      if (!flags.normalize) options.skipConsistencyCheck = true;

      if (flags.variables) {
        const variables = await listVariables(options);
        await emit(io, flags, renderVariables(variables, flags.format));
        return;
      }

      const { project, warnings } = await loadProject(options);
      renderWarnings(warnings, io);
      if (flags.quiet) return;
      await emit(io, flags, renderConfigOutput(project, flags, services));
    });
}

function renderConfigOutput(project: Project, flags: ConfigFlags, selected: string[]): string {
  const lines = (items: string[]): string => items.map((i) => `${i}\n`).join('');
  if (flags.services) return lines(servicesInOrder(project));
  if (flags.volumes) return lines(Object.keys(project.volumes).sort());
  if (flags.networks) return lines(Object.keys(project.networks).sort());
  if (flags.profiles) return lines(allProfiles(project));
  if (flags.images) return lines(images(project));
  if (flags.hash !== undefined) return lines(hashes(project, flags.hash));
  if (flags.environment) {
    return lines(
      Object.keys(project.meta.environment)
        .sort()
        .map((k) => `${k}=${project.meta.environment[k]}`),
    );
  }
  let model = projectToModel(selected.length > 0 ? onlyServices(project, selected) : project);
  if (flags.interpolate) model = escapeDollars(model);
  return flags.format === 'json' ? renderJson(model) : renderYaml(model);
}

function servicesInOrder(project: Project): string[] {
  return startOrder(buildGraph(project));
}

function allProfiles(project: Project): string[] {
  const names = new Set<string>();
  for (const service of [
    ...Object.values(project.services),
    ...Object.values(project.meta.disabledServices),
  ]) {
    for (const p of service.profiles ?? []) names.add(p);
  }
  return [...names].sort();
}

function images(project: Project): string[] {
  return Object.keys(project.services)
    .sort()
    .map((name) => project.services[name]!.image ?? `${project.name}-${name}`);
}

function hashes(project: Project, spec: string): string[] {
  const wanted =
    spec.trim() === '*'
      ? Object.keys(project.services).sort()
      : spec
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '');
  return wanted.map((name) => {
    const service = project.services[name];
    if (!service) {
      throw new ComposeError(`no such service: ${name}`, {
        hint: `services are: ${Object.keys(project.services).sort().join(', ')}`,
      });
    }
    return `${name} ${serviceConfigHash(service)}`;
  });
}

/** `config web`: the named services and what they depend on, nothing else. */
function onlyServices(project: Project, selected: string[]): Project {
  const keep = selectServices(buildGraph(project), selected, { withDependencies: true });
  const services: Project['services'] = {};
  for (const name of keep) services[name] = project.services[name]!;
  return { ...project, services };
}

function renderVariables(
  variables: readonly { name: string; required: boolean; defaultValue?: string; alternateValue?: string }[],
  format: 'yaml' | 'json',
): string {
  if (format === 'json') {
    const out: Record<string, unknown> = {};
    for (const v of variables) {
      out[v.name] = {
        Name: v.name,
        DefaultValue: v.defaultValue ?? '',
        AlternateValue: v.alternateValue ?? '',
        Required: v.required,
      };
    }
    return renderJson(out);
  }
  const rows = [['NAME', 'REQUIRED', 'DEFAULT VALUE', 'ALTERNATE VALUE']];
  for (const v of variables) {
    rows.push([v.name, v.required ? 'true' : 'false', v.defaultValue ?? '', v.alternateValue ?? '']);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map(
      (r) =>
        `${r
          .map((c, i) => c.padEnd(widths[i]!))
          .join('   ')
          .trimEnd()}\n`,
    )
    .join('');
}

async function emit(io: CliIO, flags: ConfigFlags, text: string): Promise<void> {
  if (flags.output) {
    await writeFile(path.resolve(io.cwd, flags.output), text);
    return;
  }
  io.stdout(text);
}
