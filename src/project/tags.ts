/**
 * Compose's merge tags survive parsing as marker objects so that interpolation passes them through and
 * the merge stage can act on them:
 * - `!reset` removes the value (or sets it to empty) in the merged model;
 * - `!override` replaces the value instead of merging it.
 */
export class ResetTag {
  readonly kind = 'reset';
}

export class OverrideTag {
  readonly kind = 'override';
  constructor(readonly value: unknown) {}
}

export function isResetTag(value: unknown): value is ResetTag {
  return value instanceof ResetTag;
}

export function isOverrideTag(value: unknown): value is OverrideTag {
  return value instanceof OverrideTag;
}
