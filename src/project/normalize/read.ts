import { type ComposeDict, isDict } from '../dict.js';

/** The services of a model as `[name, definition]` pairs, skipping anything that is not a mapping. */
export function serviceEntries(model: ComposeDict): [string, ComposeDict][] {
  const services = model.services;
  if (!isDict(services)) return [];
  return Object.entries(services).filter((entry): entry is [string, ComposeDict] => isDict(entry[1]));
}

/** A string or a list of strings as a list; anything else is empty. */
export function stringList(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value)) return [];
  return value.filter((v): v is string => typeof v === 'string');
}

/** The name after `service:` in `network_mode`, `ipc` or `pid`, if that is what the value says. */
export function serviceReference(value: unknown): string | undefined {
  return typeof value === 'string' && value.startsWith('service:')
    ? value.slice('service:'.length)
    : undefined;
}

/** The replica count a service asks for: `scale` first, then `deploy.replicas`, else 1. */
export function replicaCount(service: ComposeDict): number {
  if (typeof service.scale === 'number') return service.scale;
  const deploy = service.deploy;
  if (isDict(deploy) && typeof deploy.replicas === 'number') return deploy.replicas;
  return 1;
}
