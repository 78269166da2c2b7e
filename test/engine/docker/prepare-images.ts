/**
 * What the image tests share: running prepareImages and keeping its progress events, and expecting
 * it to fail with a ComposeError.
 */
import type Dockerode from 'dockerode';

import { prepareImages } from '../../../src/engine/docker/images.js';
import type { ImageProgress, ImagesRequest } from '../../../src/engine/types.js';
import { ComposeError } from '../../../src/project/errors.js';

export async function prepare(docker: Dockerode, req: ImagesRequest): Promise<ImageProgress[]> {
  const events: ImageProgress[] = [];
  await prepareImages(docker, req, (event) => events.push(event));
  return events;
}

export async function failure(
  docker: Dockerode,
  req: ImagesRequest,
): Promise<{ error: ComposeError; events: ImageProgress[] }> {
  const events: ImageProgress[] = [];
  try {
    await prepareImages(docker, req, (event) => events.push(event));
  } catch (error) {
    if (error instanceof ComposeError) return { error, events };
    throw error;
  }
  throw new Error('prepareImages succeeded');
}
