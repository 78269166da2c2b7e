export { convertToStack } from './convert.js';
export { renderChange, renderChangeJson, renderStack, type StackFormat } from './render.js';
export { LATEST_STACK_VERSION, STACK_VERSIONS, parseStackVersion } from './stack-versions.js';
export type * from './types.js';
