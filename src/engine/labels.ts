/** The labels docker compose puts on what it creates; berth uses the same so each tool sees the other's. */
export const Labels = {
  project: 'com.docker.compose.project',
  service: 'com.docker.compose.service',
  containerNumber: 'com.docker.compose.container-number',
  configHash: 'com.docker.compose.config-hash',
  oneoff: 'com.docker.compose.oneoff',
  version: 'com.docker.compose.version',
  workingDir: 'com.docker.compose.project.working_dir',
  configFiles: 'com.docker.compose.project.config_files',
  environmentFile: 'com.docker.compose.project.environment_file',
  dependsOn: 'com.docker.compose.depends_on',
  image: 'com.docker.compose.image',
  network: 'com.docker.compose.network',
  volume: 'com.docker.compose.volume',
  replace: 'com.docker.compose.replace',
} as const;

/** The compose version berth claims in `com.docker.compose.version` (what its behaviour follows). */
export const COMPOSE_VERSION = '2.40.0';

/** `<project>-<service>-<n>`, docker compose's container name. */
export function containerName(project: string, service: string, number: number): string {
  return `${project}-${service}-${number}`;
}

/** `<project>-<service>-run-<id>` for one-off containers of `run`. */
export function oneoffContainerName(project: string, service: string, id: string): string {
  return `${project}-${service}-run-${id.slice(0, 12)}`;
}
