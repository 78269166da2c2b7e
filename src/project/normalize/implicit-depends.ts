import { type ComposeDict, isDict } from '../dict.js';
import { serviceReference, stringList } from './read.js';

/**
 * What compose-go adds to `depends_on` for links, `service:` namespaces and volumes_from, unless the
 * service already depends on that service. Links and shared namespaces restart with their dependency;
 * volumes_from does not.
 */
export function addImplicitDependencies(service: ComposeDict): void {
  const implicit: [string, boolean][] = [];
  for (const link of stringList(service.links)) implicit.push([link.split(':')[0]!, true]);
  for (const key of ['network_mode', 'ipc', 'pid', 'uts', 'cgroup']) {
    const ref = serviceReference(service[key]);
    if (ref !== undefined && ref !== '') implicit.push([ref, true]);
  }
  for (const source of stringList(service.volumes_from)) {
    if (!source.startsWith('container:')) implicit.push([source.split(':')[0]!, false]);
  }
  if (implicit.length === 0) return;

  const dependsOn: ComposeDict = isDict(service.depends_on) ? service.depends_on : {};
  for (const [name, restart] of implicit) {
    if (name === '' || name in dependsOn) continue;
    dependsOn[name] = restart
      ? { condition: 'service_started', required: true, restart: true }
      : { condition: 'service_started', required: true };
  }
  service.depends_on = dependsOn;
}
