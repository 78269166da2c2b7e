import type { ErrorObject } from 'ajv';
import type { ComposeDict } from './dict.js';
import { ComposeError, ComposeErrors } from './errors.js';
import * as compiled from './generated/compose-validator.js';
import type { KeyPath } from './key-path.js';
import { explainSchemaErrors } from './schema-errors.js';
import type { DocumentPositions } from './source-map.js';
import { isOverrideTag, isResetTag } from './tags.js';

/** The validator ajv compiled from schema/compose-spec.json at `npm run gen` time (allErrors, verbose). */
interface CompiledValidator {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

const validator = compiled.validate as unknown as CompiledValidator;

/** Past this many problems the rest are summed up: a wrong file should not print pages. */
const MAX_REPORTED = 50;

/**
 * Checks one parsed, interpolated and cast document against berth's JSON Schema of the Compose format.
 * Throws one ComposeError per real problem (a ComposeErrors when there are several), each with the key
 * path and the file position of the offending key or value.
 */
export function validateSchema(model: ComposeDict, positions: DocumentPositions): void {
  const resets: KeyPath[] = [];
  const data = withoutMergeTags(model, [], resets);
  if (validator(data)) return;
  const problems = explainSchemaErrors(validator.errors ?? [], data).filter(
    (p) => !resets.some((reset) => startsWith(p.locatePath, reset)),
  );
  if (problems.length === 0) return;
  const errors = problems
    .map(
      (p) =>
        new ComposeError(p.problem, {
          keyPath: p.keyPath,
          location: positions.locate(p.locatePath),
          hint: p.hint,
        }),
    )
    .sort(byPosition);
  if (errors.length === 1) throw errors[0]!;
  const shown = errors.slice(0, MAX_REPORTED);
  if (errors.length > MAX_REPORTED) {
    shown.push(
      new ComposeError(`${errors.length - MAX_REPORTED} more problems not shown`, {
        location: { file: positions.file },
      }),
    );
  }
  throw new ComposeErrors(shown);
}

/**
 * A copy without the merge markers: `!override` stands for its value, and `!reset` (which is valid for any
 * key) becomes null and is remembered so that whatever the schema says about it is ignored.
 */
function withoutMergeTags(value: unknown, path: (string | number)[], resets: KeyPath[]): unknown {
  if (isResetTag(value)) {
    resets.push([...path]);
    return null;
  }
  if (isOverrideTag(value)) return withoutMergeTags(value.value, path, resets);
  // Copy-on-write: a branch without markers is validated as it is (most documents have none).
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      const item: unknown = withoutMergeTags(value[i], path, resets);
      path.pop();
      if (item !== value[i]) (out ??= value.slice())[i] = item;
    }
    return out ?? value;
  }
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    let out: Record<string, unknown> | undefined;
    for (const key of Object.keys(record)) {
      path.push(key);
      const item = withoutMergeTags(record[key], path, resets);
      path.pop();
      if (item !== record[key]) {
        out ??= { ...record };
        out[key] = item;
      }
    }
    return out ?? value;
  }
  return value;
}

function startsWith(path: KeyPath, prefix: KeyPath): boolean {
  return prefix.length <= path.length && prefix.every((segment, i) => path[i] === segment);
}

function byPosition(a: ComposeError, b: ComposeError): number {
  const line = (a.location?.line ?? 0) - (b.location?.line ?? 0);
  return line !== 0 ? line : (a.location?.column ?? 0) - (b.location?.column ?? 0);
}
