import { ComposeError, ComposeErrors } from '../project/errors.js';
import type { Project } from '../project/types.js';
import { ChangeLog } from './change-log.js';
import { swarmFileResource } from './file-resources.js';
import { swarmNetwork } from './networks.js';
import { oneShotServices } from './one-shot.js';
import { pruneForVersion, unsupportedReason } from './prune-for-version.js';
import { swarmService } from './service.js';
import { LATEST_STACK_VERSION, parseStackVersion, stackSupports } from './stack-versions.js';
import type { StackContentFile, StackConversion, StackConvertOptions, StackDict } from './types.js';
import { swarmVolume } from './volumes.js';

/**
 * Turns a fully resolved project into a Docker Swarm stack file of the version asked for (the newest by
 * default), in the normalized form `docker stack config` prints, and lists every key it dropped or
 * rewrote. Pure: files it needs written (secrets given by value) are returned, not written. Throws
 * ComposeErrors naming every service or resource that cannot be converted.
 */
export function convertToStack(project: Project, options: StackConvertOptions = {}): StackConversion {
  const version = options.version === undefined ? LATEST_STACK_VERSION : parseStackVersion(options.version);
  const log = new ChangeLog();
  const files: StackContentFile[] = [];
  const errors: ComposeError[] = [];
  const attempt = <T>(make: () => T): T | undefined => {
    try {
      return make();
    } catch (error) {
      if (!(error instanceof ComposeError)) throw error;
      errors.push(...(error instanceof ComposeErrors ? error.errors : [error]));
      return undefined;
    }
  };

  const oneShots = oneShotServices(project);
  const services: StackDict = {};
  for (const name of Object.keys(project.services).sort()) {
    const service = project.services[name];
    if (service === undefined) continue;
    const converted = attempt(() =>
      swarmService(name, service, {
        projectName: project.name,
        version,
        registry: options.registry,
        oneShot: oneShots.get(name),
        log,
      }),
    );
    if (converted !== undefined) services[name] = converted;
  }

  const stack: StackDict = { version, services };
  const networks = section(project.networks, (key, network) =>
    swarmNetwork(key, network, project.name, version, log),
  );
  const volumes = section(project.volumes, (key, volume) => swarmVolume(key, volume, project.name, version));
  const fileContext = {
    projectName: project.name,
    version,
    environment: project.meta.environment,
    contentDir: options.contentDir,
    log,
    files,
  };
  const [secrets, configs] = (['secrets', 'configs'] as const).map((kind) => {
    const definitions = project[kind];
    // Versions before 3.1 (secrets) and 3.3 (configs) have no such section: drop it whole, writing nothing.
    if (!stackSupports(version, [kind])) {
      if (Object.keys(definitions).length > 0) log.dropped([kind], unsupportedReason([kind], version));
      return {};
    }
    return section(definitions, (key, definition) =>
      attempt(() => swarmFileResource(kind, key, definition, fileContext)),
    );
  }) as [StackDict, StackDict];
  if (errors.length > 0) throw errors.length === 1 ? errors[0] : new ComposeErrors(errors);

  for (const [key, value] of [
    ['networks', networks],
    ['volumes', volumes],
    ['secrets', secrets],
    ['configs', configs],
  ] as const) {
    if (Object.keys(value).length === 0) continue;
    pruneForVersion(value, [key], version, log);
    stack[key] = value;
  }
  for (const [key, value] of Object.entries(project.extensions)) {
    if (stackSupports(version, [key])) stack[key] = value;
    else log.dropped([key], unsupportedReason([key], version));
  }
  return { version, stack, changes: log.changes, files };
}

function section<T>(
  definitions: Readonly<Record<string, T>>,
  convert: (key: string, definition: T) => StackDict | undefined,
): StackDict {
  const out: StackDict = {};
  for (const key of Object.keys(definitions).sort()) {
    const definition = definitions[key];
    if (definition === undefined) continue;
    const converted = convert(key, definition);
    if (converted !== undefined) out[key] = converted;
  }
  return out;
}
