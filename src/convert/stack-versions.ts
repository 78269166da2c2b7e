/**
 * Which keys each stack file version (3.0 .. 3.13) may hold, as `docker stack` 28 validates them: the
 * first version whose schema in docker/cli (cli/compose/schema/data/config_schema_v3.x.json) allows a key.
 * The converter drops what the chosen version does not support, and says which version would.
 */
import { ComposeError } from '../project/errors.js';

export const STACK_VERSIONS: readonly string[] = Array.from({ length: 14 }, (_, minor) => `3.${minor}`);

export const LATEST_STACK_VERSION: string = STACK_VERSIONS[STACK_VERSIONS.length - 1]!;

/**
 * Key path patterns and the first version allowing them. Segments are keys, except:
 * `*` a user-chosen name or map key (service, network, label, sysctl, ulimit, driver option, ...);
 * `?` any key, where the schema leaves an object open (its value is then unchecked too);
 * `x-*` an extension key, whose value is never checked;
 * a `[]` suffix marks a key whose value is a list of objects holding the keys that follow.
 * `volumes.*.x-cluster-spec` (Swarm cluster volumes, 3.10) needs no entries: `volumes.*.x-*` admits it and
 * everything below it from 3.7.
 */
const FIRST_VERSION: Readonly<Record<string, string>> = {
  version: '3.0',
  'x-*': '3.4',

  services: '3.0',
  'services.*': '3.0',
  'services.*.x-*': '3.7',
  'services.*.build': '3.0',
  'services.*.build.?': '3.11',
  'services.*.build.context': '3.0',
  'services.*.build.dockerfile': '3.0',
  'services.*.build.args': '3.0',
  'services.*.build.args.*': '3.0',
  'services.*.build.cache_from': '3.2',
  'services.*.build.labels': '3.3',
  'services.*.build.labels.*': '3.3',
  'services.*.build.network': '3.4',
  'services.*.build.target': '3.4',
  'services.*.build.shm_size': '3.5',
  'services.*.build.extra_hosts': '3.9',
  'services.*.build.extra_hosts.*': '3.9',
  'services.*.cap_add': '3.0',
  'services.*.cap_drop': '3.0',
  'services.*.cgroup_parent': '3.0',
  'services.*.cgroupns_mode': '3.9',
  'services.*.command': '3.0',
  'services.*.configs': '3.3',
  'services.*.configs[].?': '3.3',
  'services.*.configs[].source': '3.3',
  'services.*.configs[].target': '3.3',
  'services.*.configs[].uid': '3.3',
  'services.*.configs[].gid': '3.3',
  'services.*.configs[].mode': '3.3',
  'services.*.container_name': '3.0',
  'services.*.credential_spec': '3.3',
  'services.*.credential_spec.file': '3.3',
  'services.*.credential_spec.registry': '3.3',
  'services.*.credential_spec.config': '3.8',
  'services.*.depends_on': '3.0',
  'services.*.deploy': '3.0',
  'services.*.deploy.mode': '3.0',
  'services.*.deploy.endpoint_mode': '3.2',
  'services.*.deploy.replicas': '3.0',
  'services.*.deploy.labels': '3.0',
  'services.*.deploy.labels.*': '3.0',
  'services.*.deploy.update_config': '3.0',
  'services.*.deploy.update_config.parallelism': '3.0',
  'services.*.deploy.update_config.delay': '3.0',
  'services.*.deploy.update_config.failure_action': '3.0',
  'services.*.deploy.update_config.monitor': '3.0',
  'services.*.deploy.update_config.max_failure_ratio': '3.0',
  'services.*.deploy.update_config.order': '3.4',
  'services.*.deploy.rollback_config': '3.7',
  'services.*.deploy.rollback_config.parallelism': '3.7',
  'services.*.deploy.rollback_config.delay': '3.7',
  'services.*.deploy.rollback_config.failure_action': '3.7',
  'services.*.deploy.rollback_config.monitor': '3.7',
  'services.*.deploy.rollback_config.max_failure_ratio': '3.7',
  'services.*.deploy.rollback_config.order': '3.7',
  'services.*.deploy.resources': '3.0',
  'services.*.deploy.resources.limits': '3.0',
  'services.*.deploy.resources.limits.cpus': '3.0',
  'services.*.deploy.resources.limits.memory': '3.0',
  'services.*.deploy.resources.limits.pids': '3.9',
  'services.*.deploy.resources.reservations': '3.0',
  'services.*.deploy.resources.reservations.cpus': '3.0',
  'services.*.deploy.resources.reservations.memory': '3.0',
  'services.*.deploy.resources.reservations.generic_resources': '3.5',
  'services.*.deploy.resources.reservations.generic_resources[].discrete_resource_spec': '3.5',
  'services.*.deploy.resources.reservations.generic_resources[].discrete_resource_spec.kind': '3.5',
  'services.*.deploy.resources.reservations.generic_resources[].discrete_resource_spec.value': '3.5',
  'services.*.deploy.restart_policy': '3.0',
  'services.*.deploy.restart_policy.condition': '3.0',
  'services.*.deploy.restart_policy.delay': '3.0',
  'services.*.deploy.restart_policy.max_attempts': '3.0',
  'services.*.deploy.restart_policy.window': '3.0',
  'services.*.deploy.placement': '3.0',
  'services.*.deploy.placement.constraints': '3.0',
  'services.*.deploy.placement.preferences': '3.3',
  'services.*.deploy.placement.preferences[].spread': '3.3',
  'services.*.deploy.placement.max_replicas_per_node': '3.8',
  'services.*.devices': '3.0',
  'services.*.dns': '3.0',
  'services.*.dns_search': '3.0',
  'services.*.domainname': '3.0',
  'services.*.entrypoint': '3.0',
  'services.*.env_file': '3.0',
  'services.*.environment': '3.0',
  'services.*.environment.*': '3.0',
  'services.*.expose': '3.0',
  'services.*.external_links': '3.0',
  'services.*.extra_hosts': '3.0',
  'services.*.extra_hosts.*': '3.0',
  'services.*.healthcheck': '3.0',
  'services.*.healthcheck.disable': '3.0',
  'services.*.healthcheck.interval': '3.0',
  'services.*.healthcheck.retries': '3.0',
  'services.*.healthcheck.test': '3.0',
  'services.*.healthcheck.timeout': '3.0',
  'services.*.healthcheck.start_period': '3.4',
  'services.*.healthcheck.start_interval': '3.12',
  'services.*.hostname': '3.0',
  'services.*.image': '3.0',
  'services.*.init': '3.7',
  'services.*.ipc': '3.0',
  'services.*.isolation': '3.5',
  'services.*.labels': '3.0',
  'services.*.labels.*': '3.0',
  'services.*.links': '3.0',
  'services.*.logging': '3.0',
  'services.*.logging.driver': '3.0',
  'services.*.logging.options': '3.0',
  'services.*.logging.options.*': '3.0',
  'services.*.mac_address': '3.0',
  'services.*.network_mode': '3.0',
  'services.*.networks': '3.0',
  'services.*.networks.*': '3.0',
  'services.*.networks.*.aliases': '3.0',
  'services.*.networks.*.ipv4_address': '3.0',
  'services.*.networks.*.ipv6_address': '3.0',
  'services.*.networks.*.driver_opts': '3.13',
  'services.*.networks.*.driver_opts.*': '3.13',
  'services.*.oom_score_adj': '3.13',
  'services.*.pid': '3.0',
  'services.*.ports': '3.0',
  'services.*.ports[].mode': '3.2',
  'services.*.ports[].target': '3.2',
  'services.*.ports[].published': '3.2',
  'services.*.ports[].protocol': '3.2',
  'services.*.privileged': '3.0',
  'services.*.read_only': '3.0',
  'services.*.restart': '3.0',
  'services.*.secrets': '3.1',
  'services.*.secrets[].?': '3.1',
  'services.*.secrets[].source': '3.1',
  'services.*.secrets[].target': '3.1',
  'services.*.secrets[].uid': '3.1',
  'services.*.secrets[].gid': '3.1',
  'services.*.secrets[].mode': '3.1',
  'services.*.security_opt': '3.0',
  'services.*.shm_size': '3.0',
  'services.*.stdin_open': '3.0',
  'services.*.stop_grace_period': '3.0',
  'services.*.stop_signal': '3.0',
  'services.*.sysctls': '3.0',
  'services.*.sysctls.*': '3.0',
  'services.*.tmpfs': '3.0',
  'services.*.tty': '3.0',
  'services.*.ulimits': '3.0',
  'services.*.ulimits.*': '3.0',
  'services.*.ulimits.*.soft': '3.0',
  'services.*.ulimits.*.hard': '3.0',
  'services.*.user': '3.0',
  'services.*.userns_mode': '3.0',
  'services.*.volumes': '3.0',
  'services.*.volumes[].type': '3.2',
  'services.*.volumes[].source': '3.2',
  'services.*.volumes[].target': '3.2',
  'services.*.volumes[].read_only': '3.2',
  'services.*.volumes[].consistency': '3.2',
  'services.*.volumes[].bind': '3.2',
  'services.*.volumes[].bind.?': '3.2',
  'services.*.volumes[].bind.propagation': '3.2',
  'services.*.volumes[].volume': '3.2',
  'services.*.volumes[].volume.?': '3.2',
  'services.*.volumes[].volume.nocopy': '3.2',
  'services.*.volumes[].tmpfs': '3.6',
  'services.*.volumes[].tmpfs.?': '3.6',
  'services.*.volumes[].tmpfs.size': '3.6',
  'services.*.working_dir': '3.0',

  networks: '3.0',
  'networks.*': '3.0',
  'networks.*.x-*': '3.7',
  'networks.*.name': '3.5',
  'networks.*.driver': '3.0',
  'networks.*.driver_opts': '3.0',
  'networks.*.driver_opts.*': '3.0',
  'networks.*.ipam': '3.0',
  'networks.*.ipam.driver': '3.0',
  'networks.*.ipam.config': '3.0',
  'networks.*.ipam.config[].subnet': '3.0',
  'networks.*.external': '3.0',
  'networks.*.external.name': '3.0',
  'networks.*.internal': '3.0',
  'networks.*.attachable': '3.2',
  'networks.*.labels': '3.0',
  'networks.*.labels.*': '3.0',

  volumes: '3.0',
  'volumes.*': '3.0',
  'volumes.*.x-*': '3.7',
  'volumes.*.name': '3.4',
  'volumes.*.driver': '3.0',
  'volumes.*.driver_opts': '3.0',
  'volumes.*.driver_opts.*': '3.0',
  'volumes.*.external': '3.0',
  'volumes.*.external.name': '3.0',
  'volumes.*.labels': '3.0',
  'volumes.*.labels.*': '3.0',

  secrets: '3.1',
  'secrets.*': '3.1',
  'secrets.*.x-*': '3.7',
  'secrets.*.name': '3.5',
  'secrets.*.file': '3.1',
  'secrets.*.external': '3.1',
  'secrets.*.external.?': '3.1',
  'secrets.*.external.name': '3.1',
  'secrets.*.labels': '3.1',
  'secrets.*.labels.*': '3.1',
  'secrets.*.driver': '3.8',
  'secrets.*.driver_opts': '3.8',
  'secrets.*.driver_opts.*': '3.8',
  'secrets.*.template_driver': '3.8',

  configs: '3.3',
  'configs.*': '3.3',
  'configs.*.x-*': '3.7',
  'configs.*.name': '3.5',
  'configs.*.file': '3.3',
  'configs.*.external': '3.3',
  'configs.*.external.?': '3.3',
  'configs.*.external.name': '3.3',
  'configs.*.labels': '3.3',
  'configs.*.labels.*': '3.3',
  'configs.*.template_driver': '3.8',
};

/** Wildcard segments of the table. */
const NAME = '*';
const ANY_KEY = '?';
const EXTENSION = 'x-*';

interface KeyNode {
  /** Index in STACK_VERSIONS of the first version allowing this key. */
  since: number;
  /** Whether the value holds list items: an index segment of a path is passed over here. */
  list: boolean;
  children: Map<string, KeyNode>;
}

function newNode(since: number): KeyNode {
  return { since, list: false, children: new Map() };
}

function versionIndex(version: string): number {
  const index = STACK_VERSIONS.indexOf(version);
  if (index < 0) throw new Error(`stack-versions: unknown version ${version}`);
  return index;
}

const ROOT: KeyNode = buildTree();

function buildTree(): KeyNode {
  const root = newNode(0);
  for (const [pattern, version] of Object.entries(FIRST_VERSION)) {
    let node = root;
    const segments = pattern.split('.');
    segments.forEach((raw, i) => {
      const list = raw.endsWith('[]');
      const key = list ? raw.slice(0, -2) : raw;
      let child = node.children.get(key);
      if (child === undefined) {
        child = newNode(Number.POSITIVE_INFINITY);
        node.children.set(key, child);
      }
      if (list) child.list = true;
      if (i === segments.length - 1) child.since = versionIndex(version);
      node = child;
    });
  }
  return root;
}

/** Nodes whose value the schema does not check: anything below them is allowed. */
function isOpen(key: string): boolean {
  return key === ANY_KEY || key === EXTENSION;
}

/**
 * The earliest version index at which `path` (from `start`) is allowed below `node`, or Infinity. A path
 * can be matched several ways (a named key and the `x-` rule), and the earliest wins.
 */
function earliest(node: KeyNode, path: readonly string[], start: number): number {
  if (start === path.length) return node.since;
  const segment = path[start]!;
  const routes: [string, KeyNode][] = [];
  const exact = node.children.get(segment);
  if (exact !== undefined && segment !== ANY_KEY && segment !== EXTENSION) routes.push([segment, exact]);
  const wildcards = segment.startsWith('x-') ? [EXTENSION, ANY_KEY] : [NAME, ANY_KEY];
  for (const key of wildcards) {
    const child = node.children.get(key);
    if (child !== undefined && (key !== NAME || exact === undefined)) routes.push([key, child]);
  }
  let best = Number.POSITIVE_INFINITY;
  for (const [key, child] of routes) {
    const below = isOpen(key) ? child.since : earliest(child, path, start + 1);
    best = Math.min(best, Math.max(node.since, below));
  }
  // A list index (or `*` for "any item") stands for an item of a list of objects.
  if (node.list && (segment === NAME || /^\d+$/.test(segment)) && exact === undefined) {
    best = Math.min(best, earliest(node, path, start + 1));
  }
  return best;
}

/** '3.8', '3.10', ' 3.8 ', and '3', which `docker stack` reads as the newest 3.x it knows. */
export function parseStackVersion(text: string): string {
  const trimmed = text.trim();
  if (trimmed === '3') return LATEST_STACK_VERSION;
  if (STACK_VERSIONS.includes(trimmed)) return trimmed;
  throw new ComposeError(`unsupported stack file version "${text}"`, {
    hint: `docker stack accepts 3 (the newest) and ${STACK_VERSIONS.join(', ')}`,
  });
}

/**
 * Whether a file of `version` may hold the key at `path`. Segments are the keys as the file spells them;
 * user-chosen names and map keys are passed as '*'; list indexes may be given or left out.
 */
export function stackSupports(version: string, path: readonly string[]): boolean {
  return earliest(ROOT, path, 0) <= versionIndex(parseStackVersion(version));
}

/** The first version supporting the path, or undefined if none does. */
export function firstVersionSupporting(path: readonly string[]): string | undefined {
  const index = earliest(ROOT, path, 0);
  return Number.isFinite(index) ? STACK_VERSIONS[index] : undefined;
}

/** Every key path pattern of the table with its first version, for tests and documentation. */
export function stackKeyTable(): readonly { pattern: string; since: string }[] {
  return Object.entries(FIRST_VERSION).map(([pattern, since]) => ({ pattern, since }));
}
