/** berth's library API. */
export { loadProject, type LoadResult } from './project/load.js';
export type { LoadOptions } from './project/options.js';
export { ComposeError, ComposeErrors, isComposeError } from './project/errors.js';
export type { LoadWarning } from './project/warnings.js';
export { renderWarning } from './project/warnings.js';
export { projectToModel, renderJson, renderYaml } from './project/serialize.js';
export { serviceConfigHash } from './reconcile/config-hash.js';
export { formatKeyPath, type KeyPath } from './project/key-path.js';
export type * from './project/types.js';
export * from './graph/index.js';

// Running a project: the lifecycle for code, the engine behind it, and the reconciler's steps.
export * from './lifecycle/index.js';
export {
  type AccessMode,
  openProjectEngine,
  type ProjectEngine,
  type ProjectEngineOptions,
} from './engine/project-engine.js';
export type {
  ContainerCreateRequest,
  ContainerInfo,
  ContainerStatus,
  Engine,
  EngineEvent,
  ExecPlan,
  ExecRequest,
  ExecResult,
  ExecStdio,
  HealthStatus,
  ImageProgress,
  ImagesRequest,
  LogLine,
  LogsOptions as EngineLogsOptions,
  NetworkCreateRequest,
  NetworkInfo,
  PortPublisher,
  ProjectFilter,
  VolumeCreateRequest,
  VolumeInfo,
} from './engine/types.js';
export {
  containerCreateRequest,
  type DownOptions as PlanDownOptions,
  executePlan,
  type ExecuteOptions,
  type ExecuteResult,
  type ObservedState,
  observe,
  type Operation,
  type OperationEvent,
  type OperationFailure,
  type Plan,
  planDown,
  planUp,
  type ProgressEvent,
  type ProgressListener,
  renderPlan,
  type UpOptions as PlanUpOptions,
  type WarningEvent,
} from './reconcile/index.js';
export { type ReadinessOptions, waitUntilReady } from './reconcile/readiness.js';

// Watch mode: keeping a running project in step with its files.
export * from './watch/index.js';
export * from './convert/index.js';
