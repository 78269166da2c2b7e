/**
 * restart and deploy.restart_policy -> HostConfig.RestartPolicy, as docker compose maps them (the
 * deploy section wins; none -> no, any -> always). A retry count goes with on-failure only: the
 * engine refuses it with any other policy. One-off `run` containers never restart, as in compose.
 */
import { ComposeError } from '../../project/errors.js';
import type { Service } from '../../project/types.js';

const POLICIES: Record<string, string> = {
  no: 'no',
  none: 'no',
  always: 'always',
  any: 'always',
  'on-failure': 'on-failure',
  'unless-stopped': 'unless-stopped',
};

export function containerRestartPolicy(
  serviceName: string,
  service: Service,
  oneoff: boolean,
  warnings: string[],
): { Name: string; MaximumRetryCount?: number } | undefined {
  if (oneoff) return undefined;
  const deploy = service.deploy?.restart_policy;
  if (deploy !== undefined) {
    const keyPath = ['services', serviceName, 'deploy', 'restart_policy'];
    // The Compose specification's default condition is `any`.
    const name = policyName(deploy.condition ?? 'any', serviceName, [...keyPath, 'condition']);
    for (const key of ['delay', 'window'] as const) {
      if (deploy[key] !== undefined) {
        warnings.push(
          `service "${serviceName}": deploy.restart_policy.${key} has no equivalent on a Docker engine (its restart delay is fixed) and is ignored`,
        );
      }
    }
    return withRetries(
      name,
      deploy.max_attempts,
      serviceName,
      'deploy.restart_policy.max_attempts',
      warnings,
    );
  }
  if (service.restart === undefined) return undefined;
  const [condition = '', count] = service.restart.split(':', 2);
  const name = policyName(condition, serviceName, ['services', serviceName, 'restart']);
  const retries = count === undefined ? undefined : Number(count);
  if (retries !== undefined && !(Number.isInteger(retries) && retries >= 0)) {
    throw new ComposeError(`service "${serviceName}": invalid restart policy "${service.restart}"`, {
      keyPath: ['services', serviceName, 'restart'],
      hint: 'write no, always, unless-stopped, on-failure or on-failure:<max retries>',
    });
  }
  return withRetries(name, retries, serviceName, 'restart', warnings);
}

function policyName(condition: string, serviceName: string, keyPath: (string | number)[]): string {
  const name = POLICIES[condition];
  if (name === undefined) {
    throw new ComposeError(`service "${serviceName}": unknown restart condition "${condition}"`, {
      keyPath,
      hint: 'use no, always, unless-stopped or on-failure (deploy.restart_policy: none, any or on-failure)',
    });
  }
  return name;
}

function withRetries(
  name: string,
  retries: number | undefined,
  serviceName: string,
  attribute: string,
  warnings: string[],
): { Name: string; MaximumRetryCount?: number } {
  if (retries === undefined || retries === 0) return { Name: name };
  if (name === 'on-failure') return { Name: name, MaximumRetryCount: retries };
  warnings.push(
    `service "${serviceName}": a retry count (${attribute}) applies to on-failure only; the Docker engine restarts "${name}" containers without limit`,
  );
  return { Name: name };
}
