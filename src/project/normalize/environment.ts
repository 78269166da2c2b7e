import { type ComposeDict, isDict } from '../dict.js';
import { ComposeError, isComposeError } from '../errors.js';
import { absolutePath } from '../paths.js';
import type { SourceMap } from '../source-map.js';

/** Reads one env file; `null` when it does not exist. */
export type ReadEnvFile = (
  path: string,
  format: string | undefined,
) => Promise<Record<string, string>> | null;

export interface EnvironmentContext {
  /** The project environment (OS environment over `.env`), used for bare keys. */
  environment: Record<string, string>;
  workingDir: string;
  home: string;
  sourceMap: SourceMap;
  readEnvFile: ReadEnvFile;
}

/**
 * The service's final environment, as compose-go computes it: bare keys filled from the project
 * environment, then the env files in order (later files win), then `environment` over them all — even
 * its keys that stay unset (null), as the Compose Specification says.
 */
export async function resolveServiceEnvironment(
  service: ComposeDict,
  name: string,
  context: EnvironmentContext,
): Promise<void> {
  const own = isDict(service.environment)
    ? fillFromEnvironment(service.environment, context.environment, true)
    : undefined;
  if (own) service.environment = own;

  const entries = Array.isArray(service.env_file) ? service.env_file : [];
  if (entries.length === 0) return;
  let fromFiles: ComposeDict = {};
  for (const [index, entry] of entries.entries()) {
    const vars = await readEntry(entry, ['services', name, 'env_file', index], name, context);
    if (vars) fromFiles = { ...fromFiles, ...vars };
  }
  if (own || Object.keys(fromFiles).length > 0) service.environment = { ...fromFiles, ...own };
}

/** `build.args` without a value take the project environment's; those it lacks are dropped (compose-go). */
export function resolveBuildArgs(service: ComposeDict, environment: Record<string, string>): void {
  const build = service.build;
  if (isDict(build) && isDict(build.args)) build.args = fillFromEnvironment(build.args, environment, false);
}

function fillFromEnvironment(
  map: ComposeDict,
  environment: Record<string, string>,
  keepUnset: boolean,
): ComposeDict {
  const out: ComposeDict = {};
  for (const [key, value] of Object.entries(map)) {
    if (value !== null && value !== undefined) out[key] = value;
    else if (Object.hasOwn(environment, key)) out[key] = environment[key];
    else if (keepUnset) out[key] = null;
  }
  return out;
}

async function readEntry(
  entry: unknown,
  keyPath: (string | number)[],
  service: string,
  context: EnvironmentContext,
): Promise<Record<string, string> | undefined> {
  const spec = isDict(entry) ? entry : { path: entry };
  if (typeof spec.path !== 'string') return undefined;
  const file = absolutePath(spec.path, context.workingDir, context.home);
  const format = typeof spec.format === 'string' ? spec.format : undefined;
  const location = context.sourceMap.locate(keyPath);

  let pending: Promise<Record<string, string>> | null;
  try {
    pending = context.readEnvFile(file, format);
    if (pending === null) {
      if (spec.required === false) return undefined;
      throw new ComposeError(`env file ${file} not found for service "${service}"`, {
        location,
        keyPath,
        hint: 'create the file, or add `required: false` to the env_file entry to skip it when it is missing',
      });
    }
    return await pending;
  } catch (error) {
    if (isComposeError(error)) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new ComposeError(`cannot read env file ${file} for service "${service}": ${reason}`, {
      location,
      keyPath,
      hint: 'check that the file is readable and uses KEY=VALUE lines',
      cause: error,
    });
  }
}
