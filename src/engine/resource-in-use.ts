/**
 * A network or volume an engine will not remove because containers still use it (an orphan left by
 * `down` without --remove-orphans, another project's container on an external network). docker
 * compose reports it as "Resource is still in use" and carries on; so does the reconciler.
 */
import { ComposeError } from '../project/errors.js';

/** How the error is known after crossing the control socket. */
export const RESOURCE_IN_USE = 'ERESOURCEINUSE';

export class ResourceInUseError extends ComposeError {
  readonly code = RESOURCE_IN_USE;

  constructor(problem: string) {
    super(problem, { hint: 'remove the container first' });
  }

  static of(kind: 'network' | 'volume', name: string, user: string): ResourceInUseError {
    return new ResourceInUseError(`${kind} ${name} is in use by container ${user}`);
  }
}
