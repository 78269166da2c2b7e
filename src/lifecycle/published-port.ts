import type { ContainerInfo } from '../engine/types.js';
import { ComposeError } from '../project/errors.js';

/**
 * The host port a service's container port is published on (`berth port svc 80`), from `up`'s or
 * `ps`'s containers: replica `index` (default 1).
 */
export function publishedPort(
  containers: readonly ContainerInfo[],
  service: string,
  targetPort: number,
  options: { protocol?: string; index?: number } = {},
): number {
  const protocol = options.protocol ?? 'tcp';
  const index = options.index ?? 1;
  const container = containers.find((c) => c.service === service && c.number === index);
  if (container === undefined) {
    throw new ComposeError(
      `no container for service "${service}"${index === 1 ? '' : ` with index ${index}`}`,
      {
        hint: `is "${service}" up? see "berth ps"`,
      },
    );
  }
  const publisher = container.publishers.find(
    (p) => p.TargetPort === targetPort && p.Protocol === protocol && p.PublishedPort > 0,
  );
  if (publisher === undefined) {
    throw new ComposeError(`service "${service}" does not publish port ${targetPort}/${protocol}`, {
      hint: `add "ports: ['${targetPort}']" to service "${service}"`,
    });
  }
  return publisher.PublishedPort;
}
