import type { LogLine } from '../engine/types.js';
import { openEngine } from './engine-access.js';
import { resolveTarget, type ProjectTarget } from './target.js';

export interface LogsOptions extends ProjectTarget {
  services?: string[];
  /** `-f`: go on with new lines until the caller stops iterating (break) or the containers are removed. */
  follow?: boolean;
  /** `-n`: the last lines of each container. */
  tail?: number;
  /** ISO 8601 times. */
  since?: string;
  until?: string;
}

/** The project's log lines, oldest first per container; the engine connection closes when iteration ends. */
export async function* logs(options: LogsOptions): AsyncGenerator<LogLine, void, undefined> {
  const target = await resolveTarget(options, 'if-needed');
  const access = await openEngine(target, 'existing', options);
  try {
    const containers = await access.engine.listContainers({ project: target.name, all: true });
    const ids = containers
      .filter((c) => options.services === undefined || options.services.includes(c.service))
      .sort((a, b) => a.service.localeCompare(b.service) || a.number - b.number)
      .map((c) => c.id);
    if (ids.length === 0) return;
    yield* access.engine.logs(ids, {
      ...(options.follow !== undefined ? { follow: options.follow } : {}),
      ...(options.tail !== undefined ? { tail: options.tail } : {}),
      ...(options.since !== undefined ? { since: options.since } : {}),
      ...(options.until !== undefined ? { until: options.until } : {}),
    });
  } finally {
    await access.release();
  }
}
