/**
 * The engine's ids of images present locally, by the references services name: the reconciler
 * recreates a container whose image id is no longer the one its reference points to (a pull or build
 * since), as docker compose does.
 */
import type Dockerode from 'dockerode';

import { ComposeError } from '../../project/errors.js';
import { engineMessage, statusOf } from './engine-errors.js';
import { LostEngineError } from './lost-connection.js';

export async function localImageIds(
  docker: Dockerode,
  references: readonly string[],
): Promise<Record<string, string>> {
  const unique = [...new Set(references)];
  const ids = await Promise.all(
    unique.map(async (reference) => {
      try {
        return (await docker.getImage(reference).inspect()).Id;
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        if (error instanceof LostEngineError) throw error;
        throw new ComposeError(`cannot inspect image "${reference}": ${engineMessage(error)}`, {
          hint: 'check that the Docker engine is running and answers',
          cause: error,
        });
      }
    }),
  );
  const out: Record<string, string> = {};
  unique.forEach((reference, index) => {
    const id = ids[index];
    if (id !== undefined) out[reference] = id;
  });
  return out;
}
