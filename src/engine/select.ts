import { ComposeError } from '../project/errors.js';

export type EngineKind = 'local' | 'docker';

/** `--engine` wins over BERTH_ENGINE; the in-process engine is the default, `docker` the Docker Engine API. */
export function selectEngineKind(
  flag: string | undefined,
  env: Record<string, string | undefined>,
): EngineKind {
  const value = (flag ?? env.BERTH_ENGINE ?? 'local').trim().toLowerCase();
  if (value === 'local' || value === '') return 'local';
  if (value === 'docker') return 'docker';
  throw new ComposeError(`unknown engine "${value}"`, {
    hint: `choose --engine local or --engine docker${flag === undefined ? ' (from BERTH_ENGINE)' : ''}`,
  });
}
