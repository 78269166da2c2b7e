import { type ComposeDict, isDict } from '../dict.js';
import type { KeyPath } from '../key-path.js';
import type { CanonicalContext } from './context.js';
import { canonicalLabels } from './mappings.js';
import { throughTags } from './tags.js';
import { expectDict } from './values.js';

/**
 * logging, with the legacy v2 `log_driver` / `log_opt` folded in (they mean `logging.driver` / `.options`;
 * an explicit `logging` wins). Option values become strings. Mutates `service`.
 */
export function canonicalLogging(ctx: CanonicalContext, service: ComposeDict, path: KeyPath): void {
  const legacyDriver = service.log_driver;
  const legacyOptions = service.log_opt;
  delete service.log_driver;
  delete service.log_opt;
  if (legacyDriver !== undefined || legacyOptions !== undefined) {
    const logging: ComposeDict = isDict(service.logging) ? { ...service.logging } : {};
    if (legacyDriver !== undefined) logging.driver ??= legacyDriver;
    if (legacyOptions !== undefined)
      logging.options ??= canonicalLabels(ctx, legacyOptions, [...path, 'log_opt']);
    if (service.logging === undefined || isDict(service.logging)) service.logging = logging;
  }
  if (service.logging === undefined) return;
  service.logging = throughTags(service.logging, (inner) => {
    const logging: ComposeDict = { ...expectDict(ctx, inner, [...path, 'logging'], 'logging') };
    if (logging.options !== undefined && logging.options !== null) {
      logging.options = canonicalLabels(ctx, logging.options, [...path, 'logging', 'options']);
    }
    return logging;
  });
}
