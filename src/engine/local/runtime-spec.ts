/**
 * From a create request (the canonical service) to a RuntimeSpec: what one replica runs, with which
 * environment, in which folder, as whom, and how it is stopped, checked, restarted and logged. Computed
 * once at create time; creates on disk what the replica's mounts need.
 */
import { parseBytes } from '../../project/canonical/units.js';
import { ComposeError } from '../../project/errors.js';
import type { Service } from '../../project/types.js';
import type { ContainerCreateRequest } from '../types.js';
import { displayCommand, mapArgv, resolveCommandLine } from './command-line.js';
import { type ImageDefaults, readImageDefaults } from './dockerfile.js';
import { durationMs } from './durations.js';
import { ensureFolder, planMounts } from './mounts.js';
import {
  cleanContainerPath,
  mapContainerPath,
  mapEnvironmentValue,
  mapPathsInScript,
} from './path-mapping.js';
import { writeSecretFiles } from './secrets.js';
import type { HealthcheckSpec, MountPlan, PortBinding, RestartPolicyName, RuntimeSpec } from './types.js';
import { type ResolvedUser, resolveUser, type UserFiles } from './user.js';
import { portBindings as publishedBindings } from './published-ports.js';
import { normalizeSignal as signalName } from '../signals.js';
import { DEFAULT_PATH } from './replica-process.js';

export interface SpecContext {
  /** `<state>/projects/<p>/containers/<id>`: exists, private (0700). */
  containerDir: string;
  /** `<state>/volumes`: a named volume's data is `<volumesRoot>/<engine name>/_data`. */
  volumesRoot: string;
  /** berth's own environment (PATH, HOME ...). */
  hostEnv: Record<string, string | undefined>;
  hostname: string;
  replica: number;
  isRoot: boolean;
  /** Docker's legacy link variables, computed elsewhere. */
  linkEnvironment: Record<string, string>;
  /** Set when the replica must listen elsewhere than its container port (host-mode scaling): PORT. */
  listenPort?: number | undefined;
  /** Receives the warnings of buildRuntimeSpec (planRuntimeSpec returns them instead). */
  onWarning?: ((message: string) => void) | undefined;
  /** For tests: other passwd/group files, another tmpfs root than /dev/shm. */
  userFiles?: UserFiles | undefined;
  shmRoot?: string | undefined;
}

export interface PlannedRuntimeSpec {
  spec: RuntimeSpec;
  /** Things berth does not do as Docker would (a user ignored when not root ...), to show the user. */
  warnings: string[];
}

export { DEFAULT_PATH };

/** Host variables a process needs to work at all; the rest of berth's environment stays out. */
const HOST_KEYS = new Set([
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'LANG',
  'LANGUAGE',
  'TERM',
  'TZ',
  'TMPDIR',
]);

const HEALTH_DEFAULTS = {
  interval: 30_000,
  timeout: 30_000,
  retries: 3,
  startPeriod: 0,
  startInterval: 5_000,
};

/** The RuntimeSpec of one replica; warnings go to `context.onWarning`. */
export async function buildRuntimeSpec(
  request: ContainerCreateRequest,
  context: SpecContext,
): Promise<RuntimeSpec> {
  const { spec, warnings } = await planRuntimeSpec(request, context);
  for (const warning of warnings) context.onWarning?.(warning);
  return spec;
}

/** The RuntimeSpec of one replica and the warnings about it. Throws ComposeError on bad input. */
export async function planRuntimeSpec(
  request: ContainerCreateRequest,
  context: SpecContext,
): Promise<PlannedRuntimeSpec> {
  const service = request.service;
  const name = request.serviceName;
  const warnings: string[] = [];
  const hostPath = context.hostEnv.PATH ?? DEFAULT_PATH;
  // A remote context (git URL) is not fetched: such a service needs its own command.
  const remote =
    service.build !== undefined && /^(?:[a-z][a-z0-9+.-]*:\/\/|git@)/i.test(service.build.context);
  if (remote && service.build?.dockerfile_inline === undefined) {
    warnings.push(
      `service "${name}": berth does not read the Dockerfile of the remote build context ${service.build!.context}`,
    );
  }
  const local = service.build !== undefined && (!remote || service.build.dockerfile_inline !== undefined);
  const defaults = local ? await readImageDefaults(service.build!, { PATH: hostPath }) : undefined;

  const argv = resolveCommandLine({
    serviceName: name,
    image: service.image,
    dockerfile: defaults ? dockerfileName(service) : undefined,
    entrypoint: request.entrypoint ?? service.entrypoint,
    command: request.command ?? service.command,
    imageEntrypoint: defaults?.entrypoint,
    imageCmd: defaults?.cmd,
  });

  // Everything that only reads the definition is checked before anything is created on disk.
  const stopSignal = normalizeSignal(service.stop_signal ?? defaults?.stopSignal ?? 'SIGTERM', name);
  const stopGracePeriodMs = durationMs(service.stop_grace_period, 10_000, [
    'services',
    name,
    'stop_grace_period',
  ]);
  const restart = restartPolicy(service, name);
  const logs = logging(service, name, warnings);
  const ports = portBindings(service, name);
  healthcheckSpec(service, defaults, name, []);

  const user = await runAs(request, defaults, context, warnings);
  const owner = user && { uid: user.uid, gid: user.gid };
  const mounts = combineMounts(
    name,
    await planMounts(request, {
      containerDir: context.containerDir,
      volumesRoot: context.volumesRoot,
      owner,
      shmRoot: context.shmRoot,
    }),
    await writeSecretFiles(request, {
      containerDir: context.containerDir,
      hostEnv: context.hostEnv,
      isRoot: context.isRoot,
      owner,
    }),
  );
  if (service.read_only === true) {
    warnings.push(`service "${name}": read_only is recorded but not enforced by berth's local engine`);
  }
  if ((service.volumes_from ?? []).length > 0) {
    warnings.push(`service "${name}": volumes_from is not supported by berth's local engine and is ignored`);
  }

  // Docker's default working directory is `/`: here the replica's private folder, unless a mount covers it.
  const workingDir = cleanContainerPath(
    request.workingDir ?? service.working_dir ?? defaults?.workingDir ?? '/',
  );
  const cwd = mapContainerPath(workingDir, mounts);
  await ensureFolder(cwd, owner);

  const spec: RuntimeSpec = {
    argv: mapArgv(argv, mounts),
    env: environment(request, context, defaults, mounts, user),
    cwd,
    ...(user ? { uid: user.uid, gid: user.gid } : {}),
    stopSignal,
    stopGracePeriodMs,
    restart,
    logging: logs,
    ports,
    mounts,
    tty: service.tty === true,
    stdinOpen: service.stdin_open === true,
    command: displayCommand(argv),
    image: service.image ?? `${request.project.name}-${name}`,
  };
  const healthcheck = healthcheckSpec(service, defaults, name, mounts);
  if (healthcheck) spec.healthcheck = healthcheck;
  if (context.listenPort !== undefined) spec.listenPort = context.listenPort;
  return { spec, warnings };
}

function dockerfileName(service: Service): string {
  const build = service.build!;
  if (build.dockerfile_inline !== undefined) return '(dockerfile_inline)';
  return build.dockerfile ?? 'Dockerfile';
}

/** The user to switch to: only possible as root; otherwise the service runs as berth's user. */
async function runAs(
  request: ContainerCreateRequest,
  defaults: ImageDefaults | undefined,
  context: SpecContext,
  warnings: string[],
): Promise<ResolvedUser | undefined> {
  const explicit = request.user ?? request.service.user;
  const spec = explicit ?? defaults?.user;
  if (spec === undefined || spec === '') return undefined;
  if (!context.isRoot) {
    // A Dockerfile USER is an image detail: only the compose file's own setting is worth a warning.
    if (explicit !== undefined) {
      warnings.push(
        `service "${request.serviceName}": user "${explicit}" is ignored because berth is not running as root; ` +
          'the service runs as the current user',
      );
    }
    return undefined;
  }
  return resolveUser(spec, request.serviceName, context.userFiles);
}

/** Volumes and tmpfs, then secrets and configs; a container path mounted twice is an error. */
function combineMounts(serviceName: string, volumes: MountPlan[], files: MountPlan[]): MountPlan[] {
  const mounts = [...volumes];
  for (const file of files) {
    const clash = mounts.find((m) => m.kind !== 'private' && m.containerPath === file.containerPath);
    if (clash === undefined) {
      mounts.push(file);
    } else if (file.containerPath === '/run/secrets') {
      // The service mounts something at /run/secrets itself: each secret file is still mounted on top.
      continue;
    } else {
      throw new ComposeError(
        `service "${serviceName}": ${file.containerPath} is both a volume and a ${file.kind}`,
        {
          keyPath: ['services', serviceName, `${file.kind}s`],
          hint: 'give the secret or config another target',
        },
      );
    }
  }
  return mounts;
}

/**
 * Lowest to highest: host basics (PATH ...), HOSTNAME, link variables, the Dockerfile's ENV, the service's
 * environment (null = absent), `run -e`; then berth's own BERTH_REPLICA and PORT. Values from the
 * Dockerfile and the compose file that are container paths are mapped through the mounts.
 */
function environment(
  request: ContainerCreateRequest,
  context: SpecContext,
  defaults: ImageDefaults | undefined,
  mounts: readonly MountPlan[],
  user: ResolvedUser | undefined,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(context.hostEnv)) {
    if (value !== undefined && (HOST_KEYS.has(key) || key.startsWith('LC_'))) env[key] = value;
  }
  env.PATH ??= DEFAULT_PATH;
  if (user?.name !== undefined) {
    env.HOME = user.home ?? '/';
    env.USER = user.name;
    env.LOGNAME = user.name;
  }
  env.HOSTNAME = context.hostname;
  if (request.service.tty === true) env.TERM ??= 'xterm';
  Object.assign(env, context.linkEnvironment);

  const own: Record<string, string> = { ...defaults?.env };
  for (const [key, value] of Object.entries(request.service.environment ?? {})) {
    if (value !== null) own[key] = value;
  }
  Object.assign(own, request.environment);
  for (const [key, value] of Object.entries(own)) env[key] = mapEnvironmentValue(value, mounts);

  env.BERTH_REPLICA = String(context.replica);
  if (context.listenPort !== undefined) env.PORT = String(context.listenPort);
  return env;
}

/** Signal names as Node knows them (`TERM`, `sigterm`, `15` -> `SIGTERM`), or an error naming the service. */
export function normalizeSignal(signal: string, serviceName: string): string {
  try {
    return signalName(signal);
  } catch {
    throw new ComposeError(`service "${serviceName}": unknown stop signal "${signal}"`, {
      keyPath: ['services', serviceName, 'stop_signal'],
      hint: 'use a signal name such as SIGTERM, SIGINT or SIGQUIT',
    });
  }
}

/** The service's healthcheck over the Dockerfile's HEALTHCHECK, field by field, as Docker merges them. */
function healthcheckSpec(
  service: Service,
  defaults: ImageDefaults | undefined,
  name: string,
  mounts: readonly MountPlan[],
): HealthcheckSpec | undefined {
  const own = service.healthcheck;
  const image = defaults?.healthcheck;
  if (own?.disable === true) return undefined;
  const test = own?.test !== undefined && own.test.length > 0 ? own.test : image?.test;
  if (test === undefined || test.length === 0 || test[0] === 'NONE') return undefined;
  const path = ['services', name, 'healthcheck'];
  let mapped: string[];
  if (test[0] === 'CMD' && test.length > 1) mapped = ['CMD', ...mapArgv(test.slice(1), mounts)];
  else if (test[0] === 'CMD-SHELL' && test.length > 1)
    mapped = ['CMD-SHELL', mapPathsInScript(test.slice(1).join(' '), mounts)];
  else {
    throw new ComposeError(`service "${name}": healthcheck test must start with CMD, CMD-SHELL or NONE`, {
      keyPath: [...path, 'test'],
      hint: 'write test: ["CMD", "curl", "-f", "http://localhost"] or test: curl -f http://localhost',
    });
  }
  const retries = own?.retries ?? image?.retries ?? HEALTH_DEFAULTS.retries;
  return {
    test: mapped,
    intervalMs: durationMs(
      own?.interval ?? image?.interval,
      HEALTH_DEFAULTS.interval,
      [...path, 'interval'],
      true,
    ),
    timeoutMs: durationMs(
      own?.timeout ?? image?.timeout,
      HEALTH_DEFAULTS.timeout,
      [...path, 'timeout'],
      true,
    ),
    retries: retries > 0 ? retries : HEALTH_DEFAULTS.retries,
    startPeriodMs: durationMs(own?.start_period ?? image?.startPeriod, HEALTH_DEFAULTS.startPeriod, [
      ...path,
      'start_period',
    ]),
    startIntervalMs: durationMs(
      own?.start_interval ?? image?.startInterval,
      HEALTH_DEFAULTS.startInterval,
      [...path, 'start_interval'],
      true,
    ),
  };
}

/** docker compose maps deploy conditions (and accepts engine names); no condition means no restart. */
const DEPLOY_CONDITIONS: Record<string, RestartPolicyName> = {
  '': 'no',
  none: 'no',
  no: 'no',
  'on-failure': 'on-failure',
  'unless-stopped': 'unless-stopped',
  any: 'always',
  always: 'always',
};

/** `restart:`, overridden by `deploy.restart_policy` when present (docker compose's order). */
export function restartPolicy(service: Service, name: string): RuntimeSpec['restart'] {
  const deploy = service.deploy?.restart_policy;
  if (deploy !== undefined) {
    const condition = deploy.condition ?? '';
    const policy = Object.hasOwn(DEPLOY_CONDITIONS, condition) ? DEPLOY_CONDITIONS[condition] : undefined;
    if (policy === undefined) {
      throw new ComposeError(`service "${name}": unknown restart condition "${deploy.condition}"`, {
        keyPath: ['services', name, 'deploy', 'restart_policy', 'condition'],
        hint: 'use none, on-failure or any',
      });
    }
    const max = deploy.max_attempts;
    return policy === 'on-failure' && max !== undefined && max > 0 ? { policy, maxRetries: max } : { policy };
  }
  const text = service.restart;
  if (text === undefined || text === '' || text === 'no') return { policy: 'no' };
  if (text === 'always' || text === 'unless-stopped') return { policy: text };
  const match = /^on-failure(?::(\d+))?$/.exec(text);
  if (match)
    return match[1] !== undefined && Number(match[1]) > 0
      ? { policy: 'on-failure', maxRetries: Number(match[1]) }
      : { policy: 'on-failure' };
  throw new ComposeError(`service "${name}": unknown restart policy "${text}"`, {
    keyPath: ['services', name, 'restart'],
    hint: 'use no, always, on-failure[:max-retries] or unless-stopped',
  });
}

const LOG_DRIVERS = new Set(['json-file', 'local']);

/** json-file's max-size/max-file (the `local` driver's defaults: 20m, 5 files). */
function logging(service: Service, name: string, warnings: string[]): RuntimeSpec['logging'] {
  const driver = service.logging?.driver;
  const options = service.logging?.options ?? {};
  if (driver !== undefined && !LOG_DRIVERS.has(driver)) {
    warnings.push(
      `service "${name}": logging driver "${driver}" is not supported by berth's local engine; logs are kept as JSON lines`,
    );
  }
  const local = driver === 'local';
  const path = ['services', name, 'logging', 'options'];
  const result: RuntimeSpec['logging'] = { maxFiles: local ? 5 : 1 };
  const size = options['max-size'] ?? (local ? '20m' : undefined);
  if (size !== undefined && size !== '-1') {
    try {
      result.maxSizeBytes = parseBytes(size);
    } catch (error) {
      throw new ComposeError(`service "${name}": invalid log max-size "${size}"`, {
        keyPath: [...path, 'max-size'],
        hint: 'use a size such as 10m or 512k',
        cause: error,
      });
    }
  }
  const files = options['max-file'];
  if (files !== undefined) {
    if (!/^\d+$/.test(files) || Number(files) < 1) {
      throw new ComposeError(`service "${name}": invalid log max-file "${files}"`, {
        keyPath: [...path, 'max-file'],
        hint: 'use a whole number of files, at least 1',
      });
    }
    result.maxFiles = Number(files);
  }
  return result;
}

/** Canonical ports -> bindings (published-ports.ts owns the rule, including published ranges). */
export function portBindings(service: Service, name: string): PortBinding[] {
  return publishedBindings(name, service);
}
