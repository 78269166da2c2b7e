import { type ComposeDict, isDict } from './dict.js';
import { serviceEntries } from './normalize/read.js';

/**
 * Drops the networks, volumes, secrets and configs that no enabled service uses, as docker compose
 * does before it prints or runs a project: a resource of a service disabled by its profiles is not
 * created. Runs after profiles; the model is in canonical form.
 */
export function pruneUnusedResources(model: ComposeDict): ComposeDict {
  const used = {
    networks: new Set<string>(),
    volumes: new Set<string>(),
    secrets: new Set<string>(),
    configs: new Set<string>(),
  };
  for (const [, service] of serviceEntries(model)) {
    if (isDict(service.networks)) for (const n of Object.keys(service.networks)) used.networks.add(n);
    if (typeof service.network_mode === 'string' && !service.network_mode.includes(':')) {
      used.networks.add(service.network_mode);
    }
    if (Array.isArray(service.volumes)) {
      for (const v of service.volumes) {
        if (isDict(v) && v.type === 'volume' && typeof v.source === 'string') used.volumes.add(v.source);
      }
    }
    for (const kind of ['secrets', 'configs'] as const) {
      const refs = service[kind];
      if (Array.isArray(refs))
        for (const r of refs) if (isDict(r) && typeof r.source === 'string') used[kind].add(r.source);
    }
    const build = service.build;
    if (isDict(build) && Array.isArray(build.secrets)) {
      for (const r of build.secrets)
        if (isDict(r) && typeof r.source === 'string') used.secrets.add(r.source);
    }
  }
  const out: ComposeDict = { ...model };
  for (const kind of ['networks', 'volumes', 'secrets', 'configs'] as const) {
    const defined = model[kind];
    if (!isDict(defined)) continue;
    const kept: ComposeDict = {};
    for (const [name, def] of Object.entries(defined)) if (used[kind].has(name)) kept[name] = def;
    out[kind] = kept;
  }
  return out;
}
