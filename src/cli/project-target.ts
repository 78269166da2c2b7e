import { connectSupervisor } from '../engine/local/supervisor-launch.js';
import type { ProjectEngine } from '../engine/project-engine.js';
import type { ContainerInfo } from '../engine/types.js';
import { ComposeError } from '../project/errors.js';
import { resolveProjectName } from '../project/project-name.js';
import type { Project } from '../project/types.js';
import type { CommandContext } from './command-context.js';

/** The project a command acts on: loaded from its files, or only named (`-p name ps` and no file). */
export interface ProjectTarget {
  name: string;
  /** Null when no compose file exists and the name came from -p or COMPOSE_PROJECT_NAME. */
  project: Project | null;
}

const NO_FILE = 'no configuration file provided: not found';

/**
 * Like docker compose, commands that only look at or remove what runs (down, ps, logs ...) work
 * without a compose file when the project is named; every other loading error stands.
 */
export async function projectTarget(ctx: CommandContext, services: string[] = []): Promise<ProjectTarget> {
  try {
    const project = await ctx.project(services);
    return { name: project.name, project };
  } catch (error) {
    const named = ctx.globals.projectName ?? ctx.io.env.COMPOSE_PROJECT_NAME;
    if (!(error instanceof ComposeError) || error.problem !== NO_FILE || !named) throw error;
    return {
      name: resolveProjectName({ flag: named, env: {}, workingDir: ctx.io.cwd }),
      project: null,
    };
  }
}

/** Fails like compose for a service the project does not define (any name goes without a project). */
export function checkServiceNames(target: ProjectTarget, services: readonly string[]): void {
  if (target.project === null) return;
  const project = target.project;
  for (const name of services) {
    if (name in project.services || name in project.meta.disabledServices) continue;
    throw new ComposeError(`no such service: ${name}`, {
      hint: `the project defines ${Object.keys(project.services).sort().join(', ') || 'no services'}`,
    });
  }
}

/** Compose's order for listings: by container name, numbers in names compared as numbers. */
export function byName(a: ContainerInfo, b: ContainerInfo): number {
  return a.name.localeCompare(b.name, 'en', { numeric: true });
}

/**
 * After a stream from the engine failed: true when the engine's host has ended (a `down` elsewhere
 * stopped the supervisor), which ends `logs -f` and `events` normally rather than as an error.
 */
export async function engineHostEnded(access: ProjectEngine, project: string): Promise<boolean> {
  if (access.remote === undefined) return false;
  const again = await connectSupervisor({ stateRoot: access.stateRoot, project });
  if (again === undefined) return true;
  await again.close();
  return false;
}
