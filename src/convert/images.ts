import { ComposeError } from '../project/errors.js';
import type { Service } from '../project/types.js';
import type { ChangeLog } from './change-log.js';

/**
 * The image a service runs in the swarm. Swarm never builds: a service with `build:` runs its `image:`,
 * or `<registry>/<project>-<service>` when a registry prefix is given; either must be pushed where every
 * node can pull it. A service with neither cannot be converted.
 */
export function swarmImage(
  name: string,
  service: Service,
  projectName: string,
  registry: string | undefined,
  log: ChangeLog,
): string {
  const path = ['services', name, 'build'];
  if (service.image !== undefined && service.image !== '') {
    if (service.build !== undefined) {
      log.dropped(
        path,
        `Swarm does not build images; the service runs image ${service.image}: build and push it where every node can pull it`,
      );
    }
    return service.image;
  }
  if (service.build !== undefined && registry !== undefined && registry !== '') {
    const image = `${registry.replace(/\/+$/, '')}/${projectName}-${name}`;
    log.rewritten(
      path,
      `Swarm does not build images; the service runs image ${image}: build it with that tag and push it before deploying`,
    );
    return image;
  }
  if (service.build !== undefined) {
    throw new ComposeError('Swarm cannot build an image and the service names none', {
      keyPath: ['services', name],
      hint: 'set image: to the name the image is pushed under, or pass --registry PREFIX to run <PREFIX>/<project>-<service>',
    });
  }
  throw new ComposeError('the service has no image', {
    keyPath: ['services', name],
    hint: 'set image: to the image the service runs',
  });
}
