import { type ComposeDict, cloneData, isDict } from './dict.js';
import { ComposeError, ComposeErrors } from './errors.js';
import { serviceEntries, stringList } from './normalize/read.js';
import type { SourceMap } from './source-map.js';

export interface ProfilesOptions {
  /** `--profile` flags or COMPOSE_PROFILES; `*` enables every profile. */
  profiles: string[];
  /** Services named on the command line: always enabled, and their profiles become active. */
  explicitServices: string[];
  sourceMap: SourceMap;
}

export interface ProfilesResult {
  model: ComposeDict;
  /** Services left out by profiles, by name. */
  disabled: Record<string, ComposeDict>;
  activeProfiles: string[];
}

/**
 * Keeps the services the active profiles enable (a service without profiles is always enabled), as
 * docker compose does. A required dependency on a disabled service is an error; an optional one is
 * dropped. Returns a new model.
 */
export function applyProfiles(model: ComposeDict, options: ProfilesOptions): ProfilesResult {
  const out = cloneData(model);
  const services = serviceEntries(out);
  const byName = new Map(services);

  const active = unique(options.profiles);
  for (const name of options.explicitServices) {
    const service = byName.get(name);
    if (!service) {
      const known = [...byName.keys()].join(', ');
      throw new ComposeError(`no such service: ${name}`, {
        hint: known === '' ? 'the project defines no services' : `known services: ${known}`,
      });
    }
    for (const profile of stringList(service.profiles)) if (!active.includes(profile)) active.push(profile);
  }

  const enabled: Record<string, ComposeDict> = {};
  const disabled: Record<string, ComposeDict> = {};
  for (const [name, service] of services) {
    if (isEnabled(service, active)) enabled[name] = service;
    else disabled[name] = service;
  }

  const errors: ComposeError[] = [];
  for (const [name, service] of Object.entries(enabled)) {
    const dependsOn = service.depends_on;
    if (!isDict(dependsOn)) continue;
    const kept: ComposeDict = {};
    for (const [dependency, spec] of Object.entries(dependsOn)) {
      const target = disabled[dependency];
      if (!target) {
        kept[dependency] = spec;
        continue;
      }
      // An optional dependency on a disabled service is simply not there (docker compose).
      if (isDict(spec) && spec.required === false) continue;
      const profiles = stringList(target.profiles);
      const keyPath = ['services', name, 'depends_on', dependency];
      errors.push(
        new ComposeError(
          `service "${name}" depends on service "${dependency}" which is disabled by its profiles ${JSON.stringify(profiles)}; enable it with --profile ${profiles[0] ?? ''}`,
          { location: options.sourceMap.locate(keyPath), keyPath },
        ),
      );
    }
    if (Object.keys(kept).length > 0) service.depends_on = kept;
    else delete service.depends_on;
  }
  if (errors.length === 1) throw errors[0]!;
  if (errors.length > 1) throw new ComposeErrors(errors);

  if (isDict(out.services)) out.services = enabled;
  return { model: out, disabled, activeProfiles: active };
}

function isEnabled(service: ComposeDict, active: string[]): boolean {
  const profiles = stringList(service.profiles);
  if (profiles.length === 0) return true;
  return active.includes('*') || profiles.some((p) => active.includes(p));
}

function unique(values: string[]): string[] {
  return [...new Set(values.filter((v) => v !== ''))];
}
