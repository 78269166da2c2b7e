/**
 * Which project a library call is about: a Project already loaded (e.g. `up`'s result), a compose
 * file to load like the CLI does, or only a project name (`down -p name` without a file).
 */
import { loadProject } from '../project/load.js';
import type { LoadOptions } from '../project/options.js';
import type { Project } from '../project/types.js';

export interface ProjectTarget extends LoadOptions {
  /** A project loaded before (`up`'s result): used as is, nothing is loaded again. */
  project?: Project;
  /** `--engine` (default: BERTH_ENGINE, else the in-process engine). */
  engine?: string;
}

export interface ResolvedTarget {
  name: string;
  /** Null when only a name was given: the engine's labels then tell what belongs to the project. */
  project: Project | null;
  env: Record<string, string | undefined>;
}

/** A name alone (no file, folder or working directory given) is not loaded, as `down -p name` works without a file. */
export async function resolveTarget(
  target: ProjectTarget,
  load: 'always' | 'if-needed',
): Promise<ResolvedTarget> {
  const env = target.env ?? process.env;
  if (target.project !== undefined) return { name: target.project.name, project: target.project, env };
  const nameOnly =
    target.projectName !== undefined &&
    target.files === undefined &&
    target.projectDirectory === undefined &&
    target.cwd === undefined;
  if (load === 'if-needed' && nameOnly) return { name: target.projectName!, project: null, env };
  const { project } = await loadProject(target);
  return { name: project.name, project, env };
}
