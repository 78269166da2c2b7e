import { type ComposeDict, isDict } from '../dict.js';
import { ComposeError } from '../errors.js';
import type { SourceMap } from '../source-map.js';

/**
 * `scale` and `deploy.replicas` say the same thing: two different numbers are an error, and a service
 * with both a `deploy` section and `scale` gets `deploy.replicas` from it (compose-go does the same).
 */
export function reconcileScale(service: ComposeDict, name: string, sourceMap: SourceMap): void {
  const scale = service.scale;
  const deploy = service.deploy;
  if (typeof scale !== 'number' || !isDict(deploy)) return;
  if (deploy.replicas !== undefined && deploy.replicas !== null && deploy.replicas !== scale) {
    throw new ComposeError(`can't set distinct values on 'scale' and 'deploy.replicas'`, {
      location: sourceMap.locate(['services', name, 'scale']),
      keyPath: ['services', name],
      hint: `remove one of them, or give both the same value (scale: ${scale}, deploy.replicas: ${String(deploy.replicas)})`,
    });
  }
  deploy.replicas = scale;
}
