/**
 * `up` for code: brings the project up under a detached supervisor (the library never hosts the
 * engine itself: containers must outlive the caller's process), and with `wait`, returns once every
 * started container is ready.
 */
import type { ContainerInfo, ImageProgress } from '../engine/types.js';
import { buildGraph, selectServices } from '../graph/index.js';
import type { Project } from '../project/types.js';
import { executePlan, observe, planUp, type ProgressListener } from '../reconcile/index.js';
import { waitUntilReady } from '../reconcile/readiness.js';
import { openEngine, underProjectLock } from './engine-access.js';
import { planFailure } from './plan-failure.js';
import { resolveTarget, type ProjectTarget } from './target.js';

export interface UpOptions extends ProjectTarget {
  /** Always detached: the containers run under the project's supervisor. */
  detach?: true;
  /** `--wait`: resolve once every started container is running and healthy (or exited 0). */
  wait?: boolean;
  /** `--wait-timeout` in milliseconds; default: no limit. */
  waitTimeoutMs?: number;
  /** Only these services (with what they depend on unless `noDeps`). */
  services?: string[];
  noDeps?: boolean;
  /** `--scale svc=n`. */
  scale?: Record<string, number>;
  forceRecreate?: boolean;
  noRecreate?: boolean;
  removeOrphans?: boolean;
  /** `-t`: seconds before SIGKILL when replacing containers. */
  timeoutSeconds?: number;
  /** Each engine operation as it starts and ends (Creating, Started, Healthy ...), and warnings. */
  onEvent?: ProgressListener;
  /** Engines that run images (Docker): `true` builds every service with `build:`, `false` never builds. */
  build?: boolean;
  /** Overrides each service's pull_policy (Docker). */
  pull?: 'always' | 'missing' | 'never';
  /** Pulls and builds as they go (Docker). */
  onImage?: (event: ImageProgress) => void;
  /** Stale state cleaned, waiting for another command ... */
  onNotice?: (message: string) => void;
}

export interface UpResult {
  project: Project;
  /** The replicas of the services brought up, as last seen. */
  containers: ContainerInfo[];
}

export async function up(options: UpOptions): Promise<UpResult> {
  const target = await resolveTarget(options, 'always');
  const project = target.project!;
  const access = await underProjectLock(target, options, async () => {
    const opened = await openEngine(target, 'launch', options);
    try {
      if (opened.engine.prepareImages !== undefined) {
        const services = selectedServices(project, options);
        await opened.engine.prepareImages(
          {
            project: { name: project.name, workingDir: project.meta.workingDir },
            services: Object.fromEntries(services.map((name) => [name, project.services[name]!])),
            build: options.build === true ? 'always' : options.build === false ? 'never' : 'missing',
            ...(options.pull ? { pull: options.pull } : {}),
          },
          options.onImage ?? (() => undefined),
        );
      }
      const plan = planUp(project, await observe(opened.engine, project), {
        ...(options.services ? { services: options.services } : {}),
        ...(options.scale ? { scale: options.scale } : {}),
        noDeps: options.noDeps === true,
        forceRecreate: options.forceRecreate === true,
        noRecreate: options.noRecreate === true,
        removeOrphans: options.removeOrphans === true,
        ...(options.timeoutSeconds !== undefined ? { timeoutSeconds: options.timeoutSeconds } : {}),
      });
      const result = await executePlan(plan, opened.engine, {
        onEvent: options.onEvent ?? (() => undefined),
      });
      if (!result.ok) throw planFailure('up', project.name, result);
      return opened;
    } catch (error) {
      await opened.release();
      throw error;
    }
  });
  try {
    const services = selectedServices(project, options);
    const containers =
      options.wait === true
        ? await waitUntilReady(access.engine, project, services, { timeoutMs: options.waitTimeoutMs })
        : await access.engine.listContainers({ project: project.name, all: true, oneoff: false, services });
    return {
      project,
      containers: containers
        .filter((c) => services.includes(c.service))
        .sort((a, b) => a.service.localeCompare(b.service) || a.number - b.number),
    };
  } finally {
    await access.release();
  }
}

function selectedServices(project: Project, options: UpOptions): string[] {
  if (options.services === undefined || options.services.length === 0) return Object.keys(project.services);
  return selectServices(buildGraph(project), options.services, { withDependencies: options.noDeps !== true });
}
