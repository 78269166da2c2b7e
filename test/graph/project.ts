import type { Project, Service } from '../../src/project/types.js';

/** A minimal canonical Project for graph tests: services as given, resources declared by name. */
export function makeProject(
  services: Record<string, Service>,
  resources: { networks?: string[]; volumes?: string[]; secrets?: string[]; configs?: string[] } = {},
): Project {
  const declare = (names: string[] = []): Record<string, { name: string }> =>
    Object.fromEntries(names.map((n) => [n, { name: `demo_${n}` }]));
  return {
    name: 'demo',
    services,
    networks: declare(resources.networks),
    volumes: declare(resources.volumes),
    secrets: declare(resources.secrets),
    configs: declare(resources.configs),
    extensions: {},
    meta: {
      workingDir: '/tmp/demo',
      configFiles: [],
      sourceFiles: [],
      environment: {},
      profiles: [],
      disabledServices: {},
    },
  };
}

export const started = { condition: 'service_started', required: true } as const;
export const healthy = { condition: 'service_healthy', required: true } as const;
