import { buildGraph, selectServices } from '../graph/index.js';
import type { Project } from '../project/types.js';

/** The services `up` starts: those named (all when none is), with what they depend on unless `noDeps`. */
export function servicesToStart(project: Project, services: readonly string[], noDeps = false): string[] {
  if (services.length === 0) return Object.keys(project.services);
  if (noDeps) return [...services];
  return selectServices(buildGraph(project), [...services], { withDependencies: true });
}
