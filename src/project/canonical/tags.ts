import { isOverrideTag, isResetTag, OverrideTag } from '../tags.js';

/**
 * Applies a transform under the merge markers: a `!reset` value stays a marker (the merge stage removes it),
 * an `!override` value is transformed and wrapped again so the merge still sees the marker.
 */
export function throughTags(value: unknown, transform: (inner: unknown) => unknown): unknown {
  if (isResetTag(value)) return value;
  if (isOverrideTag(value)) return new OverrideTag(transform(value.value));
  return transform(value);
}

export function isMarker(value: unknown): boolean {
  return isResetTag(value) || isOverrideTag(value);
}
