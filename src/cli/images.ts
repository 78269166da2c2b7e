/**
 * Pulls and builds before containers are created (`up`, `run`, `pull`, `build`), with a progress line
 * per image or service. Only engines that run images do anything here: the in-process engine runs the
 * service's command directly and has no images.
 */
import { Option } from 'commander';

import type { Engine, ImageProgress, ImagesRequest } from '../engine/types.js';
import type { Project } from '../project/types.js';
import type { CommandContext } from './command-context.js';

export interface ImageFlags {
  /** `--build` true, `--no-build` false, neither undefined. */
  build?: boolean;
  pull?: 'always' | 'missing' | 'never';
  quietPull?: boolean;
}

/** `--build`, `--no-build`, `--pull POLICY`, `--quiet-pull`, as up and run take them. */
export function imageOptions(): Option[] {
  return [
    new Option('--build', 'build images before starting containers'),
    new Option('--no-build', "don't build an image, even if it's missing"),
    new Option('--pull <policy>', 'pull images before running').choices(['always', 'missing', 'never']),
    new Option('--quiet-pull', 'pull without printing progress information'),
  ];
}

/** What `services` need, pulled and built according to the flags; failures throw the engine's ComposeError. */
export async function prepareServiceImages(
  ctx: CommandContext,
  engine: Engine,
  project: Project,
  services: readonly string[],
  flags: ImageFlags,
): Promise<void> {
  if (engine.prepareImages === undefined || services.length === 0) return;
  const request: ImagesRequest = {
    project: { name: project.name, workingDir: project.meta.workingDir },
    services: Object.fromEntries(services.map((name) => [name, project.services[name]!])),
    build: flags.build === true ? 'always' : flags.build === false ? 'never' : 'missing',
  };
  if (flags.pull !== undefined) request.pull = flags.pull;
  if (flags.quietPull === true) request.quiet = true;
  await withImageProgress(ctx, (onProgress) => engine.prepareImages!(request, onProgress));
}

/** Runs `work` with its image events on the progress display, which is closed however it ends. */
export async function withImageProgress(
  ctx: CommandContext,
  work: (onProgress: (event: ImageProgress) => void) => Promise<void>,
): Promise<void> {
  const { renderer } = ctx.progress();
  try {
    await work((event) => {
      if (event.type === 'warning') {
        renderer.event({ type: 'warning', message: event.message });
        return;
      }
      renderer.event({
        type: 'operation',
        id: event.id,
        resource: event.resource,
        status: event.status,
        text: event.status === 'error' ? 'Error' : event.message,
        ...(event.status === 'error' ? { message: event.message } : {}),
      });
    });
  } finally {
    await renderer.stop();
  }
}
