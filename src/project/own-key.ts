import type { ComposeDict } from './dict.js';

/**
 * Sets `key` as an own, enumerable data property. A plain assignment of `__proto__` would change the
 * object's prototype instead of storing the YAML key `__proto__` as data.
 */
export function setOwn(target: ComposeDict, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}
