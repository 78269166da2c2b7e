import { type ComposeDict, cloneData, isDict } from './dict.js';
import { addImplicitDependencies } from './normalize/implicit-depends.js';
import { type ReadEnvFile, resolveBuildArgs, resolveServiceEnvironment } from './normalize/environment.js';
import { attachDefaultNetwork } from './normalize/networks.js';
import { serviceEntries } from './normalize/read.js';
import { setResourceNames } from './normalize/resource-names.js';
import { reconcileScale } from './normalize/scale.js';
import { resolveProjectPaths } from './paths.js';
import type { SourceMap } from './source-map.js';
import type { Warnings } from './warnings.js';

export interface NormalizeOptions {
  projectName: string;
  /** The project directory: the base of relative paths. */
  workingDir: string;
  /** The project environment (OS environment over `.env`): fills bare environment keys and build args. */
  environment: Record<string, string>;
  home: string;
  resolvePaths: boolean;
  warnings: Warnings;
  sourceMap: SourceMap;
  /** Reads a service's env file; returns null when the file does not exist. */
  readEnvFile: ReadEnvFile;
}

/**
 * What compose-go does to the merged model before profiles: project name, defaults (default network,
 * build defaults, `pull_policy` spelling), resource names, implicit depends_on, environment resolved
 * from env files and the project environment, `scale` against `deploy.replicas`, absolute paths.
 * Returns a new model; the input is not changed.
 */
export async function normalizeProject(model: ComposeDict, options: NormalizeOptions): Promise<ComposeDict> {
  let out = cloneData(model);
  out.name = options.projectName;
  if (!isDict(out.services)) out.services = {};
  for (const [, service] of serviceEntries(out)) {
    delete service.extends;
    if (service.pull_policy === 'if_not_present') service.pull_policy = 'missing';
    applyBuildDefaults(service);
    applySecretTargets(service);
  }
  if (options.resolvePaths) out = resolveProjectPaths(out, options.workingDir, options.home);

  for (const [name, service] of serviceEntries(out)) {
    resolveBuildArgs(service, options.environment);
    await resolveServiceEnvironment(service, name, options);
    addImplicitDependencies(service);
    reconcileScale(service, name, options.sourceMap);
  }

  attachDefaultNetwork(out);
  setResourceNames(out, options.projectName);
  return out;
}

/** A build section always has a context, and a Dockerfile unless it is inline. */
function applyBuildDefaults(service: ComposeDict): void {
  const build = service.build;
  if (!isDict(build)) return;
  if (build.context === undefined || build.context === null) build.context = '.';
  if (build.dockerfile === undefined && build.dockerfile_inline === undefined)
    build.dockerfile = 'Dockerfile';
}

/** A service secret without a target is mounted at `/run/secrets/<source>`, as docker compose prints it. */
function applySecretTargets(service: ComposeDict): void {
  if (!Array.isArray(service.secrets)) return;
  service.secrets = service.secrets.map((ref: unknown) =>
    isDict(ref) && ref.target === undefined && typeof ref.source === 'string'
      ? { ...ref, target: `/run/secrets/${ref.source}` }
      : ref,
  );
}
