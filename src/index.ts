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
