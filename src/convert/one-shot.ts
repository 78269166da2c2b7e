import type { Project } from '../project/types.js';

/**
 * Services meant to run once: another service waits for them to complete successfully. Maps each to the
 * first (by name) of the services that wait for it, for the report.
 */
export function oneShotServices(project: Project): Map<string, string> {
  const found = new Map<string, string>();
  for (const name of Object.keys(project.services).sort()) {
    for (const [dependency, spec] of Object.entries(project.services[name]?.depends_on ?? {})) {
      if (spec.condition === 'service_completed_successfully' && !found.has(dependency)) {
        found.set(dependency, name);
      }
    }
  }
  return found;
}
