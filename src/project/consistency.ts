import { checkReferences, definitionsOf } from './consistency/references.js';
import { findDependencyCycles } from './consistency/cycles.js';
import type { Report } from './consistency/report.js';
import { checkServiceRules } from './consistency/service-rules.js';
import { type ComposeDict, isDict } from './dict.js';
import { ComposeError, ComposeErrors } from './errors.js';
import { serviceEntries } from './normalize/read.js';
import type { SourceMap } from './source-map.js';

/**
 * The semantic checks docker compose makes once the project is complete: references to undefined
 * networks, volumes, secrets, configs and services, depends_on cycles, and rules a single service
 * must follow. Throws one ComposeErrors listing every problem, each with its location and key path.
 */
export function checkConsistency(model: ComposeDict, options: { sourceMap: SourceMap }): void {
  const errors: ComposeError[] = [];
  const report: Report = (problem, keyPath, hint) => {
    errors.push(new ComposeError(problem, { location: options.sourceMap.locate(keyPath), keyPath, hint }));
  };

  const defs = definitionsOf(model);
  for (const [name, service] of serviceEntries(model)) {
    checkServiceRules(name, service, report);
    checkReferences(name, service, defs, report);
  }
  checkSecretSources(model, report);

  for (const cycle of findDependencyCycles(model)) {
    report(
      `dependency cycle detected: ${cycle.join(' -> ')}`,
      ['services', cycle[0]!, 'depends_on', cycle[1]!],
      'remove one of these depends_on entries',
    );
  }

  if (errors.length > 0) throw new ComposeErrors(errors);
}

/** A secret the project creates needs somewhere to take its content from. */
function checkSecretSources(model: ComposeDict, report: Report): void {
  const secrets = model.secrets;
  if (!isDict(secrets)) return;
  for (const [name, secret] of Object.entries(secrets)) {
    if (!isDict(secret) || secret.external === true) continue;
    if (['file', 'environment', 'content'].some((key) => typeof secret[key] === 'string')) continue;
    report(
      `secret "${name}" must declare either \`file\` or \`environment\``,
      ['secrets', name],
      'or mark it `external: true`',
    );
  }
}
