/** Plans for `up` and `down`: pure functions from the project and the observed state to operations. */
export { planDown, type DownOptions } from './plan-down.js';
export { planUp, type UpOptions } from './plan-up.js';
