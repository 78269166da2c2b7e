/** The reconciler: observe what exists, plan the engine calls that make it what the project wants, run them. */
export { checkCondition, type ConditionState, waitForCondition } from './conditions.js';
export { serviceConfigHash } from './config-hash.js';
export { containerCreateRequest } from './create-request.js';
export type {
  OperationEvent,
  OperationStatus,
  ProgressEvent,
  ProgressListener,
  WarningEvent,
} from './events.js';
export { type ExecuteOptions, type ExecuteResult, executePlan, type OperationFailure } from './execute.js';
export { type ObservedState, observe } from './observe.js';
export type {
  ContainerRef,
  ContainerTarget,
  Operation,
  OperationKind,
  OperationOf,
  OperationTargets,
  Plan,
  WaitTarget,
} from './operations.js';
export { operationResource } from './operations.js';
export { type DownOptions, planDown, planUp, type UpOptions } from './plan.js';
export { renderPlan } from './render-plan.js';
