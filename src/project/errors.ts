import { formatKeyPath, type KeyPath } from './key-path.js';
import type { Location } from './source-map.js';

export interface ErrorDetails {
  location?: Location | undefined;
  keyPath?: KeyPath | undefined;
  /** One line that tells the user how to fix it. */
  hint?: string | undefined;
  cause?: unknown;
}

/**
 * Every error berth reports about a Compose file or its use. Its message is complete and safe to show
 * as is: `compose.yaml:7:9: services.web.ports[0]: invalid port "80:80:80"`.
 */
export class ComposeError extends Error {
  override readonly name = 'ComposeError';
  readonly location: Location | undefined;
  readonly keyPath: KeyPath | undefined;
  readonly hint: string | undefined;
  /** The bare problem, without location, key path or hint. */
  readonly problem: string;

  constructor(problem: string, details: ErrorDetails = {}) {
    problem = shorten(problem);
    super(
      shorten(renderMessage(problem, details)),
      details.cause === undefined ? undefined : { cause: details.cause },
    );
    this.problem = problem;
    this.location = details.location;
    this.keyPath = details.keyPath;
    this.hint = details.hint;
  }
}

/** Longer than any useful message line: only a quoted user value (a 10 MB string, say) makes one so. */
const MAX_LINE = 2000;

/** Line by line: ComposeErrors joins whole messages, one a line. */
function shorten(problem: string): string {
  if (problem.length <= MAX_LINE) return problem;
  return problem
    .split('\n')
    .map((line) => {
      if (line.length <= MAX_LINE) return line;
      const left = line.length - MAX_LINE;
      return `${line.slice(0, MAX_LINE - 200)}...(${left} characters left out)...${line.slice(-200)}`;
    })
    .join('\n');
}

function renderMessage(problem: string, details: ErrorDetails): string {
  const parts: string[] = [];
  const loc = details.location;
  if (loc) {
    let where = loc.file;
    if (loc.line !== undefined) where += `:${loc.line}`;
    if (loc.line !== undefined && loc.column !== undefined) where += `:${loc.column}`;
    parts.push(where);
  }
  if (details.keyPath && details.keyPath.length > 0) parts.push(formatKeyPath(details.keyPath));
  parts.push(problem);
  let message = parts.join(': ');
  if (details.hint) message += ` (${details.hint})`;
  return message;
}

/** Several independent problems found in one pass (validation reports them all at once). */
export class ComposeErrors extends ComposeError {
  readonly errors: readonly ComposeError[];

  constructor(errors: readonly ComposeError[]) {
    super(errors.map((e) => e.message).join('\n'));
    this.errors = errors;
  }
}

export function isComposeError(error: unknown): error is ComposeError {
  return error instanceof ComposeError;
}
