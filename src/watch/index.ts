/** Watch mode: develop.watch rules and compose-file reload. */
export type { WatchEvent, WatchStep } from './events.js';
export { resolveWatchRules } from './rules.js';
export {
  type ConvergeRequest,
  LARGE_BATCH,
  startWatch,
  type WatchHooks,
  type WatchOptions,
  type WatchSession,
} from './session.js';
export type { FileChange, WatchAction, WatchExec, WatchRule as ResolvedWatchRule } from './types.js';
