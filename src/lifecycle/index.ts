/** The lifecycle of a project for code: up, down, ps, logs, and the engine behind them. */
export { createEngine, type CreateEngineOptions } from './create-engine.js';
export { down, type DownOptions } from './down.js';
export { logs, type LogsOptions } from './logs.js';
export { ps, type PsOptions } from './ps.js';
export { publishedPort } from './published-port.js';
export type { ProjectTarget } from './target.js';
export { up, type UpOptions, type UpResult } from './up.js';
