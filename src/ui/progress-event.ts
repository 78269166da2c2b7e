/**
 * What the progress display shows: one line per resource (`Container web-1  Started`) and warnings.
 * The CLI maps the reconciler's events to these, so the renderers know nothing about plans.
 */

/** `working` shows a spinner; the other three end the resource's line. */
export type OperationStatus = 'working' | 'done' | 'error' | 'skipped';

export interface OperationEvent {
  type: 'operation';
  /** Stable key of the resource across its events (one line per id). */
  id: string;
  /** What the line names: `Container web-1`, `Network app_default`, `Volume app_data`. */
  resource: string;
  status: OperationStatus;
  /** Creating, Created, Starting, Started, Healthy, Waiting, Stopping, Stopped, Removing, Removed, ... */
  text: string;
  /** Detail after the text, e.g. the error of a failed operation. */
  message?: string;
}

export interface WarningEvent {
  type: 'warning';
  message: string;
}

export type ProgressEvent = OperationEvent | WarningEvent;
