/**
 * The fields whose Compose Specification type is not a string, so that a value written as a string (or
 * produced by interpolation, which always yields strings) is cast back. `*` matches any map key, `[]`
 * any sequence index.
 * - int: an integer; float: a number; bool: true/false (yes/no/on/off/y/n with a warning);
 * - octal: a file mode, octal when written as a string ("0440");
 * - intIfNumeric: an integer when the string is all digits, else kept (sizes like "2g", durations, "all").
 */
export type CastKind = 'int' | 'intIfNumeric' | 'float' | 'bool' | 'octal';

const SERVICE_FIELDS: readonly (readonly [string, CastKind])[] = [
  ['attach', 'bool'],
  ['blkio_config.weight', 'int'],
  ['blkio_config.weight_device.[].weight', 'int'],
  ['blkio_config.device_read_bps.[].rate', 'intIfNumeric'],
  ['blkio_config.device_read_iops.[].rate', 'intIfNumeric'],
  ['blkio_config.device_write_bps.[].rate', 'intIfNumeric'],
  ['blkio_config.device_write_iops.[].rate', 'intIfNumeric'],
  ['build.no_cache', 'bool'],
  ['build.pull', 'bool'],
  ['build.privileged', 'bool'],
  ['build.shm_size', 'intIfNumeric'],
  ['build.secrets.[].mode', 'octal'],
  ['build.ulimits.*', 'int'],
  ['build.ulimits.*.soft', 'int'],
  ['build.ulimits.*.hard', 'int'],
  ['configs.[].mode', 'octal'],
  ['cpu_count', 'int'],
  ['cpu_percent', 'int'],
  ['cpu_period', 'int'],
  ['cpu_quota', 'int'],
  ['cpu_rt_period', 'intIfNumeric'],
  ['cpu_rt_runtime', 'intIfNumeric'],
  ['cpu_shares', 'int'],
  ['cpus', 'float'],
  ['depends_on.*.required', 'bool'],
  ['depends_on.*.restart', 'bool'],
  ['deploy.replicas', 'int'],
  ['deploy.update_config.parallelism', 'int'],
  ['deploy.update_config.max_failure_ratio', 'float'],
  ['deploy.rollback_config.parallelism', 'int'],
  ['deploy.rollback_config.max_failure_ratio', 'float'],
  ['deploy.restart_policy.max_attempts', 'int'],
  ['deploy.placement.max_replicas_per_node', 'int'],
  ['deploy.resources.limits.cpus', 'float'],
  ['deploy.resources.limits.pids', 'int'],
  ['deploy.resources.reservations.cpus', 'float'],
  ['deploy.resources.reservations.devices.[].count', 'intIfNumeric'],
  ['develop.watch.[].initial_sync', 'bool'],
  ['develop.watch.[].exec.privileged', 'bool'],
  ['env_file.[].required', 'bool'],
  ['gpus.[].count', 'intIfNumeric'],
  ['healthcheck.disable', 'bool'],
  ['healthcheck.retries', 'int'],
  ['init', 'bool'],
  ['mem_limit', 'intIfNumeric'],
  ['mem_reservation', 'intIfNumeric'],
  ['mem_swappiness', 'int'],
  ['memswap_limit', 'intIfNumeric'],
  ['networks.*.priority', 'int'],
  ['networks.*.gw_priority', 'int'],
  ['oom_kill_disable', 'bool'],
  ['oom_score_adj', 'int'],
  ['pids_limit', 'int'],
  ['ports.[].target', 'int'],
  ['post_start.[].privileged', 'bool'],
  ['pre_stop.[].privileged', 'bool'],
  ['privileged', 'bool'],
  ['read_only', 'bool'],
  ['scale', 'int'],
  ['secrets.[].mode', 'octal'],
  ['shm_size', 'intIfNumeric'],
  ['stdin_open', 'bool'],
  ['tty', 'bool'],
  ['ulimits.*', 'int'],
  ['ulimits.*.soft', 'int'],
  ['ulimits.*.hard', 'int'],
  ['use_api_socket', 'bool'],
  ['volumes.[].read_only', 'bool'],
  ['volumes.[].bind.create_host_path', 'bool'],
  ['volumes.[].volume.nocopy', 'bool'],
  ['volumes.[].tmpfs.size', 'intIfNumeric'],
  ['volumes.[].tmpfs.mode', 'octal'],
];

const TOP_LEVEL_FIELDS: readonly (readonly [string, CastKind])[] = [
  ['networks.*.external', 'bool'],
  ['networks.*.internal', 'bool'],
  ['networks.*.attachable', 'bool'],
  ['networks.*.enable_ipv4', 'bool'],
  ['networks.*.enable_ipv6', 'bool'],
  ['volumes.*.external', 'bool'],
  ['secrets.*.external', 'bool'],
  ['configs.*.external', 'bool'],
  ['models.*.context_size', 'int'],
];

export const TYPED_FIELDS: readonly (readonly [string, CastKind])[] = [
  ...SERVICE_FIELDS.map(([path, kind]) => [`services.*.${path}`, kind] as const),
  ...TOP_LEVEL_FIELDS,
];

/** A tree of the typed paths, walked along the model so that untyped branches are skipped at once. */
export interface TypedNode {
  cast?: CastKind;
  children: Map<string, TypedNode>;
}

export const ANY_KEY = '*';
export const ANY_INDEX = '[]';

export function buildTypedTree(fields: readonly (readonly [string, CastKind])[]): TypedNode {
  const root: TypedNode = { children: new Map() };
  for (const [path, kind] of fields) {
    let node = root;
    for (const segment of path.split('.')) {
      let child = node.children.get(segment);
      if (!child) {
        child = { children: new Map() };
        node.children.set(segment, child);
      }
      node = child;
    }
    node.cast = kind;
  }
  return root;
}
