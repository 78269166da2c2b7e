/**
 * Progress of a plan's execution, as events the UI renders (listr2, plain lines, JSON). The reconciler
 * never prints.
 */
import type { OperationKind } from './operations.js';

/** `skipped`: not run, because an operation it depends on failed or the run was aborted. */
export type OperationStatus = 'working' | 'done' | 'error' | 'skipped';

export interface OperationEvent {
  type: 'operation';
  /** The operation's id in the plan. */
  id: string;
  kind: OperationKind;
  /** `Container demo-web-1`, `Network demo_default`, `Volume demo_data`, `Service db`. */
  resource: string;
  status: OperationStatus;
  /** Docker compose's words (`Creating`, `Started`, `Healthy`), or the error or skip reason. */
  message?: string;
}

export interface WarningEvent {
  type: 'warning';
  message: string;
  resource?: string;
}

export type ProgressEvent = OperationEvent | WarningEvent;

export type ProgressListener = (event: ProgressEvent) => void;
