import type { ContainerInfo } from '../engine/types.js';
import { openEngine } from './engine-access.js';
import { resolveTarget, type ProjectTarget } from './target.js';

export interface PsOptions extends ProjectTarget {
  /** `-a`: stopped containers too. */
  all?: boolean;
  services?: string[];
}

/** The project's containers (no one-off `run` containers), by service and replica number. */
export async function ps(options: PsOptions): Promise<ContainerInfo[]> {
  const target = await resolveTarget(options, 'if-needed');
  const access = await openEngine(target, 'existing', options);
  try {
    const containers = await access.engine.listContainers({
      project: target.name,
      all: options.all === true,
      oneoff: false,
      ...(options.services ? { services: options.services } : {}),
    });
    return containers
      .filter((c) => !c.oneoff && (options.services === undefined || options.services.includes(c.service)))
      .sort((a, b) => a.service.localeCompare(b.service) || a.number - b.number);
  } finally {
    await access.release();
  }
}
