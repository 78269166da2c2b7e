/**
 * healthcheck -> Config.Healthcheck: durations in nanoseconds (0 keeps the image's value, as Docker
 * reads it), `disable` as the test NONE, start_interval only where the engine knows it (API 1.44).
 */
import type { Service } from '../../project/types.js';
import { durationMs } from '../local/durations.js';
import { apiAtLeast, tooOld } from './api-version.js';
import type { HealthcheckBody } from './create-body.js';

export function containerHealthcheck(
  serviceName: string,
  service: Service,
  apiVersion: string,
  warnings: string[],
): HealthcheckBody | undefined {
  const check = service.healthcheck;
  if (check === undefined) return undefined;
  if (check.disable === true) return { Test: ['NONE'] };
  const keyPath = (key: string): (string | number)[] => ['services', serviceName, 'healthcheck', key];
  const nanos = (key: 'interval' | 'timeout' | 'start_period' | 'start_interval'): number | undefined => {
    const value = check[key];
    return value === undefined ? undefined : toNanos(durationMs(value, 0, keyPath(key)));
  };
  const body: HealthcheckBody = {};
  if (check.test !== undefined) body.Test = check.test;
  const interval = nanos('interval');
  if (interval !== undefined) body.Interval = interval;
  const timeout = nanos('timeout');
  if (timeout !== undefined) body.Timeout = timeout;
  const startPeriod = nanos('start_period');
  if (startPeriod !== undefined) body.StartPeriod = startPeriod;
  if (check.retries !== undefined) body.Retries = check.retries;
  const startInterval = nanos('start_interval');
  if (startInterval !== undefined) {
    if (apiAtLeast(apiVersion, '1.44')) body.StartInterval = startInterval;
    else {
      warnings.push(tooOld(serviceName, 'healthcheck.start_interval', '1.44', apiVersion));
    }
  }
  return body;
}

export function toNanos(ms: number): number {
  return Math.round(ms * 1e6);
}
