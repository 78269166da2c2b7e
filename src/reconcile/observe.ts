import type { ContainerInfo, Engine, NetworkInfo, VolumeInfo } from '../engine/types.js';
import { compareText } from '../graph/compare.js';

/** What exists of a project in an engine, found by the `com.docker.compose.*` labels. */
export interface ObservedState {
  project: string;
  /** The project's service replicas in every state (one-off `run` containers excluded). */
  containers: ContainerInfo[];
  networks: NetworkInfo[];
  volumes: VolumeInfo[];
}

export async function observe(engine: Engine, project: string): Promise<ObservedState> {
  const [containers, networks, volumes] = await Promise.all([
    engine.listContainers({ project, all: true, oneoff: false }),
    engine.listNetworks(project),
    engine.listVolumes(project),
  ]);
  return {
    project,
    // Filtered again: the filter is a request, and a one-off must never be taken for a replica.
    containers: containers
      .filter((c) => c.project === project && !c.oneoff)
      .sort(
        (a, b) => compareText(a.service, b.service) || a.number - b.number || compareText(a.name, b.name),
      ),
    networks,
    volumes,
  };
}
