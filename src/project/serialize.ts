import { stringify } from 'yaml';

import { type ComposeDict, isDict } from './dict.js';
import type { Project } from './types.js';
import { emitYaml } from './yaml-emit.js';

const TOP_LEVEL_ORDER = ['name', 'services', 'networks', 'volumes', 'secrets', 'configs', 'models'] as const;

/**
 * The project as `docker compose config` prints it: top-level sections in Compose's order, empty ones
 * left out, every map's keys sorted so the output is stable and diffable.
 */
export function projectToModel(project: Project): ComposeDict {
  const out: ComposeDict = {};
  const source: ComposeDict = {
    name: project.name,
    services: project.services,
    networks: project.networks,
    volumes: project.volumes,
    secrets: project.secrets,
    configs: project.configs,
    models: project.models,
  };
  for (const key of TOP_LEVEL_ORDER) {
    const value = source[key];
    if (value === undefined) continue;
    if (key !== 'name' && key !== 'services' && isDict(value) && Object.keys(value).length === 0) continue;
    out[key] = key === 'name' ? value : sortKeysDeep(key === 'services' ? printedServices(project) : value);
  }
  for (const key of Object.keys(project.extensions).sort()) {
    out[key] = sortKeysDeep(project.extensions[key as `x-${string}`]);
  }
  return out;
}

/**
 * Services as docker compose prints them: `env_file` left out (its values are already in
 * `environment`), `extra_hosts` as sorted `host=ip` strings.
 */
function printedServices(project: Project): ComposeDict {
  const out: ComposeDict = {};
  for (const [name, service] of Object.entries(project.services)) {
    const printed: ComposeDict = { ...service };
    delete printed.env_file;
    if (service.extra_hosts) printed.extra_hosts = hostsList(service.extra_hosts);
    if (service.build?.extra_hosts)
      printed.build = { ...service.build, extra_hosts: hostsList(service.build.extra_hosts) };
    out[name] = printed;
  }
  return out;
}

function hostsList(hosts: Record<string, string[]>): string[] {
  return Object.keys(hosts)
    .sort()
    .flatMap((host) => hosts[host]!.map((ip) => `${host}=${ip}`));
}

function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (isDict(value)) {
    const out: ComposeDict = {};
    for (const key of Object.keys(value).sort()) {
      const v = value[key];
      if (v !== undefined) out[key] = sortKeysDeep(v);
    }
    return out;
  }
  return value;
}

export function renderYaml(model: unknown): string {
  // The dedicated emitter covers plain data; anything else (markers, dates) takes the general path.
  const fast = emitYaml(model);
  if (fast !== undefined) return fast;
  // No line folding and no aliases: the output must read back to exactly the same values.
  return stringify(model, { lineWidth: 0, aliasDuplicateObjects: false, indentSeq: true });
}

export function renderJson(model: unknown): string {
  return `${JSON.stringify(model, null, 2)}\n`;
}
