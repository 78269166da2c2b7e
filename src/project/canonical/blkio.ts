import { type ComposeDict, isDict } from '../dict.js';
import type { KeyPath } from '../key-path.js';
import type { CanonicalContext } from './context.js';
import { canonicalSize } from './sizes.js';
import { throughTags } from './tags.js';
import { expectDict, expectList } from './values.js';

/** blkio_config: byte rates (`device_read_bps: [{rate: 12mb}]`) in bytes; iops rates are plain numbers. */
export function canonicalBlkio(ctx: CanonicalContext, value: unknown, path: KeyPath): unknown {
  return throughTags(value, (inner) => {
    const blkio: ComposeDict = { ...expectDict(ctx, inner, path, 'blkio_config') };
    for (const key of ['device_read_bps', 'device_write_bps']) {
      if (blkio[key] === undefined) continue;
      blkio[key] = expectList(ctx, blkio[key], [...path, key], key).map((entry, i) => {
        if (!isDict(entry) || entry.rate === undefined) return entry;
        return { ...entry, rate: canonicalSize(ctx, entry.rate, [...path, key, i, 'rate']) };
      });
    }
    return blkio;
  });
}
