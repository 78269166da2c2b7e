import type { ContainerInfo, Engine, NetworkInfo, VolumeInfo } from '../engine/types.js';
import { compareText } from '../graph/compare.js';
import type { Project } from '../project/types.js';
import { serviceImage } from './create-request.js';

/** What exists of a project in an engine, found by the `com.docker.compose.*` labels. */
export interface ObservedState {
  project: string;
  /** The project's service replicas in every state (one-off `run` containers excluded). */
  containers: ContainerInfo[];
  networks: NetworkInfo[];
  volumes: VolumeInfo[];
  /**
   * Image reference -> the engine's id of that image now, for the services' images (engines that run
   * images): a replica created from another id is out of date, as with compose after a pull or build.
   */
  images: Record<string, string>;
}

/**
 * Given the Project (not only its name), the external networks and volumes it names are looked up
 * too: they carry no project label, and the planner must know which of them exist.
 */
export async function observe(engine: Engine, target: string | Project): Promise<ObservedState> {
  const project = typeof target === 'string' ? target : target.name;
  const [containers, ownNetworks, ownVolumes, externalNetworks, externalVolumes, images] = await Promise.all([
    engine.listContainers({ project, all: true, oneoff: false }),
    engine.listNetworks(project),
    engine.listVolumes(project),
    typeof target === 'string' ? [] : lookUp(externalNames(target.networks), (n) => engine.inspectNetwork(n)),
    typeof target === 'string' ? [] : lookUp(externalNames(target.volumes), (n) => engine.inspectVolume(n)),
    typeof target === 'string' || engine.imageIds === undefined
      ? {}
      : engine.imageIds(
          Object.entries(target.services).map(([name, service]) => serviceImage(target.name, name, service)),
        ),
  ]);
  const networks = [
    ...ownNetworks,
    ...externalNetworks.filter((n) => !ownNetworks.some((o) => o.name === n.name)),
  ];
  const volumes = [
    ...ownVolumes,
    ...externalVolumes.filter((v) => !ownVolumes.some((o) => o.name === v.name)),
  ];
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
    images,
  };
}

function externalNames(definitions: Record<string, { name: string; external?: boolean }>): string[] {
  return Object.values(definitions)
    .filter((d) => d.external === true)
    .map((d) => d.name);
}

async function lookUp<T extends object>(
  names: string[],
  inspect: (name: string) => Promise<T | undefined>,
): Promise<T[]> {
  const found: (T | undefined)[] = await Promise.all(names.map(inspect));
  return found.filter((item): item is T => item !== undefined);
}
