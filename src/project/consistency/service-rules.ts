import { type ComposeDict, dictAt, isDict } from '../dict.js';
import { replicaCount, stringList } from '../normalize/read.js';
import type { Report } from './report.js';

/** Checks of one service on its own (no references to other definitions), in compose-go's words. */
export function checkServiceRules(name: string, service: ComposeDict, report: Report): void {
  const base = ['services', name];
  const quoted = `service "${name}"`;
  const build = isDict(service.build) ? service.build : undefined;

  if (!build && typeof service.image !== 'string' && !('provider' in service)) {
    report(
      `${quoted} has neither an image nor a build context specified`,
      base,
      'add `image:` to run an existing image, or `build:` to build one',
    );
  }
  if (build && typeof build.dockerfile === 'string' && typeof build.dockerfile_inline === 'string') {
    report(
      `${quoted} declares mutually exclusive \`dockerfile\` and \`dockerfile_inline\``,
      [...base, 'build'],
      'keep only one of them',
    );
  }
  if (build && typeof service.platform === 'string') {
    const platforms = stringList(build.platforms);
    if (platforms.length > 0 && !platforms.includes(service.platform)) {
      report(
        `build.platforms must include the service's platform "${service.platform}"`,
        [...base, 'build', 'platforms'],
        `add "${service.platform}" to build.platforms`,
      );
    }
  }

  if (typeof service.network_mode === 'string' && Object.keys(dictAt(service, 'networks')).length > 0) {
    report(
      `${quoted} declares mutually exclusive \`network_mode\` and \`networks\``,
      [...base, 'network_mode'],
      'remove `networks`, or remove `network_mode` to attach the service to networks',
    );
  }
  for (const key of ['network_mode', 'ipc', 'pid']) checkNamespace(service[key], key, base, report);

  if (typeof service.container_name === 'string' && replicaCount(service) > 1) {
    const attribute = typeof service.scale === 'number' ? 'scale' : 'deploy.replicas';
    report(
      `can't set container_name and ${attribute} as container name must be unique`,
      [...base, 'container_name'],
      `remove container_name, or run a single replica`,
    );
  }

  checkMounts(service, base, report);
  checkHealthcheck(service, base, report);
  checkWatchRules(service, base, report);
  checkDistinctLimits(service, base, report);
}

/** `service:<name>` and `container:<name>` need a name after the colon. */
function checkNamespace(value: unknown, key: string, base: string[], report: Report): void {
  if (typeof value !== 'string') return;
  for (const prefix of ['service:', 'container:']) {
    if (value.startsWith(prefix) && value.slice(prefix.length).trim() === '') {
      report(
        `invalid ${key} "${value}": missing name after "${prefix}"`,
        [...base, key],
        `write ${prefix}<name>`,
      );
    }
  }
}

/** One target per mount: volumes and tmpfs share the container's file system. */
function checkMounts(service: ComposeDict, base: string[], report: Report): void {
  const seen = new Map<string, string>();
  const claim = (target: string, keyPath: (string | number)[]): void => {
    const where = keyPath
      .slice(2)
      .map((s) => (typeof s === 'number' ? `[${s}]` : s))
      .join('');
    const first = seen.get(target);
    if (first === undefined) {
      seen.set(target, where);
      return;
    }
    report(
      `duplicate mount point "${target}" (already mounted by ${first})`,
      keyPath,
      'give each mount its own target',
    );
  };

  const volumes = Array.isArray(service.volumes) ? service.volumes : [];
  for (const [i, mount] of volumes.entries()) {
    if (!isDict(mount)) continue;
    if (mount.type === 'bind' && (typeof mount.source !== 'string' || mount.source === '')) {
      report(
        'invalid mount config for type "bind": field source must not be empty',
        [...base, 'volumes', i],
        'name the host path to mount',
      );
    }
    if (typeof mount.target === 'string') claim(trimSlash(mount.target), [...base, 'volumes', i]);
  }
  for (const [i, entry] of stringList(service.tmpfs).entries()) {
    claim(trimSlash(entry.split(':')[0]!), [...base, 'tmpfs', i]);
  }
}

function trimSlash(target: string): string {
  return target.length > 1 ? target.replace(/\/+$/, '') : target;
}

function checkHealthcheck(service: ComposeDict, base: string[], report: Report): void {
  const test = dictAt(service, 'healthcheck').test;
  if (!Array.isArray(test) || test.length === 0) return;
  if (!['CMD', 'CMD-SHELL', 'NONE'].includes(String(test[0]))) {
    report(
      'healthcheck.test must start either by "CMD", "CMD-SHELL" or "NONE"',
      [...base, 'healthcheck', 'test'],
      'write ["CMD", "prog", "arg"], ["CMD-SHELL", "command line"] or a plain string',
    );
  }
}

function checkWatchRules(service: ComposeDict, base: string[], report: Report): void {
  const watch = dictAt(service, 'develop').watch;
  if (!Array.isArray(watch)) return;
  for (const [i, rule] of watch.entries()) {
    // As compose-go: only the actions that copy files need to know where to.
    if (!isDict(rule) || typeof rule.action !== 'string' || !rule.action.startsWith('sync')) continue;
    if (typeof rule.target !== 'string' || rule.target === '') {
      report(
        `target is required for ${rule.action} actions`,
        [...base, 'develop', 'watch', i],
        'set `target` to the path inside the container',
      );
    }
  }
}

/** Legacy resource keys and their deploy.resources counterparts may not disagree. */
function checkDistinctLimits(service: ComposeDict, base: string[], report: Report): void {
  const resources = dictAt(dictAt(service, 'deploy'), 'resources');
  const pairs: [string, string, string][] = [
    ['cpus', 'limits', 'cpus'],
    ['mem_limit', 'limits', 'memory'],
    ['mem_reservation', 'reservations', 'memory'],
    ['pids_limit', 'limits', 'pids'],
  ];
  for (const [legacy, section, key] of pairs) {
    const value = service[legacy];
    const other = dictAt(resources, section)[key];
    if (typeof value !== 'number' || typeof other !== 'number' || value === other) continue;
    report(
      `can't set distinct values on '${legacy}' and 'deploy.resources.${section}.${key}'`,
      [...base, legacy],
      'remove one of them, or give both the same value',
    );
  }
}
