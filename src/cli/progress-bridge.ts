import type { OperationKind, ProgressEvent as ReconcileEvent } from '../reconcile/index.js';
import type { ProgressEvent } from '../ui/progress-event.js';

/** docker compose's words for each operation: while it runs, and once done. */
const WORDS: Record<OperationKind, [string, string]> = {
  createNetwork: ['Creating', 'Created'],
  removeNetwork: ['Removing', 'Removed'],
  createVolume: ['Creating', 'Created'],
  removeVolume: ['Removing', 'Removed'],
  createContainer: ['Creating', 'Created'],
  startContainer: ['Starting', 'Started'],
  stopContainer: ['Stopping', 'Stopped'],
  removeContainer: ['Removing', 'Removed'],
  renameContainer: ['Recreate', 'Recreated'],
  waitCondition: ['Waiting', 'Healthy'],
};

/**
 * The reconciler's events as the progress display's: one line per resource (a container's create and
 * start share its line), in compose's words unless the event brings its own.
 */
export function toDisplayEvent(event: ReconcileEvent): ProgressEvent {
  if (event.type === 'warning') return { type: 'warning', message: event.message };
  const [working, done] = WORDS[event.kind];
  const text =
    event.status === 'working'
      ? working
      : event.status === 'done'
        ? (event.message ?? done)
        : event.status === 'error'
          ? 'Error'
          : 'Skipped';
  const out: ProgressEvent = {
    type: 'operation',
    id: event.resource,
    resource: event.resource,
    status: event.status,
    text,
  };
  if ((event.status === 'error' || event.status === 'skipped') && event.message) out.message = event.message;
  return out;
}
