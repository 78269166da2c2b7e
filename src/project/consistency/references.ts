import { type ComposeDict, dictAt, isDict } from '../dict.js';
import { serviceReference, stringList } from '../normalize/read.js';
import type { Report } from './report.js';

/** Names defined at the top level of the model, to check references against. */
export interface Definitions {
  services: Set<string>;
  networks: Set<string>;
  volumes: Set<string>;
  secrets: Set<string>;
  configs: Set<string>;
}

export function definitionsOf(model: ComposeDict): Definitions {
  const keys = (kind: string): Set<string> => new Set(Object.keys(dictAt(model, kind)));
  return {
    services: keys('services'),
    networks: keys('networks'),
    volumes: keys('volumes'),
    secrets: keys('secrets'),
    configs: keys('configs'),
  };
}

/**
 * Every name a service uses must be defined: networks, named volumes, secrets, configs, and the
 * services it depends on, links to, takes volumes from or shares a namespace with. Bind mounts,
 * anonymous volumes, `container:` references and external_links name nothing in the project.
 */
export function checkReferences(name: string, service: ComposeDict, defs: Definitions, report: Report): void {
  const base = ['services', name];
  const quoted = `service "${name}"`;

  for (const network of Object.keys(dictAt(service, 'networks'))) {
    if (!defs.networks.has(network)) {
      report(
        `${quoted} refers to undefined network "${network}"`,
        [...base, 'networks', network],
        'define it under the top-level `networks` key, or remove it from the service',
      );
    }
  }

  const volumes = Array.isArray(service.volumes) ? service.volumes : [];
  for (const [i, mount] of volumes.entries()) {
    if (!isDict(mount) || mount.type !== 'volume' || typeof mount.source !== 'string' || mount.source === '')
      continue;
    if (!defs.volumes.has(mount.source)) {
      report(
        `${quoted} refers to undefined volume "${mount.source}"`,
        [...base, 'volumes', i],
        `define it under the top-level \`volumes\` key, or write ./${mount.source} for a bind mount of a folder`,
      );
    }
  }

  checkFileReferences(service.secrets, 'secret', defs.secrets, [...base, 'secrets'], quoted, report);
  checkFileReferences(service.configs, 'config', defs.configs, [...base, 'configs'], quoted, report);
  const build = service.build;
  if (isDict(build)) {
    checkFileReferences(
      build.secrets,
      'build secret',
      defs.secrets,
      [...base, 'build', 'secrets'],
      quoted,
      report,
    );
  }

  checkServiceReferences(name, service, defs, report);
}

function checkFileReferences(
  entries: unknown,
  kind: string,
  defined: Set<string>,
  keyPath: (string | number)[],
  quoted: string,
  report: Report,
): void {
  if (!Array.isArray(entries)) return;
  const topLevel = kind === 'config' ? 'configs' : 'secrets';
  for (const [i, entry] of entries.entries()) {
    if (!isDict(entry) || typeof entry.source !== 'string') continue;
    if (!defined.has(entry.source)) {
      report(
        `${quoted} refers to undefined ${kind} "${entry.source}"`,
        [...keyPath, i],
        `define it under the top-level \`${topLevel}\` key`,
      );
    }
  }
}

/** Service-to-service references; a depends_on entry implied by one of them is reported only once. */
function checkServiceReferences(name: string, service: ComposeDict, defs: Definitions, report: Report): void {
  const base = ['services', name];
  const quoted = `service "${name}"`;
  const reported = new Set<string>();
  const missing = (target: string): boolean => target !== '' && !defs.services.has(target);

  for (const [i, link] of stringList(service.links).entries()) {
    const target = link.split(':')[0]!;
    if (!missing(target)) continue;
    reported.add(target);
    report(
      `${quoted} links to undefined service "${target}"`,
      [...base, 'links', i],
      'define the service, or use external_links for a container outside the project',
    );
  }
  for (const [i, source] of stringList(service.volumes_from).entries()) {
    if (source.startsWith('container:')) continue;
    const target = source.split(':')[0]!;
    if (!missing(target)) continue;
    reported.add(target);
    report(
      `${quoted} takes volumes_from undefined service "${target}"`,
      [...base, 'volumes_from', i],
      'define the service, or write container:<name> for a container outside the project',
    );
  }
  for (const key of ['network_mode', 'ipc', 'pid']) {
    const target = serviceReference(service[key]);
    if (target === undefined || !missing(target)) continue;
    reported.add(target);
    report(
      `${quoted} refers to undefined service "${target}" in ${key} "service:${target}"`,
      [...base, key],
      'define the service, or write container:<name> for a container outside the project',
    );
  }
  for (const target of Object.keys(dictAt(service, 'depends_on'))) {
    if (!missing(target) || reported.has(target)) continue;
    report(
      `${quoted} depends on undefined service "${target}"`,
      [...base, 'depends_on', target],
      'define the service, or remove it from depends_on',
    );
  }
}
