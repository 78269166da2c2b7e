/**
 * Service keys a stack file may hold but Swarm does not honour (`docker stack deploy` prints them as
 * "Ignoring unsupported options" or "Ignoring deprecated options"), and keys of development files that
 * have no place in a stack: why each is dropped, in words a user can act on.
 */
export const SWARM_DROPPED_SERVICE_KEYS: Readonly<Record<string, string>> = {
  attach: 'Swarm does not attach to service logs; use `docker service logs`',
  cgroup: 'Swarm services cannot choose their cgroup namespace',
  cgroup_parent: 'Swarm services cannot choose their parent cgroup',
  cgroupns_mode: 'Swarm services cannot choose their cgroup namespace',
  container_name: 'Swarm names each task itself; other services reach this one by its service name',
  depends_on:
    'Swarm starts every service at once and keeps restarting a failing one; the service must wait for or retry what it needs',
  develop: 'watch mode is for local development',
  devices: 'Swarm services cannot map host devices',
  domainname: 'Swarm services cannot set a domain name',
  expose: 'services on the same network reach every port of each other; nothing needs exposing',
  external_links: 'Swarm services reach only services of their networks; attach both to one network',
  ipc: 'Swarm services cannot share an IPC namespace',
  links:
    'services on the same network reach each other by service name; for a link alias, add it to the aliases of the linked service on a shared network',
  mac_address: 'Swarm assigns MAC addresses itself',
  network_mode:
    'Swarm services join networks, not another network mode; the service joins the stack default network (for the host network, attach it to an external network named host)',
  oom_score_adj: 'docker stack deploy does not pass it to Swarm',
  pid: 'Swarm services cannot share a PID namespace',
  post_start: 'Swarm has no lifecycle hooks',
  pre_stop: 'Swarm has no lifecycle hooks',
  privileged: 'Swarm does not run privileged services; grant what the service needs with cap_add',
  profiles: 'the stack holds the services of the active profiles only',
  pull_policy: 'every Swarm node pulls the image when a task of the service is placed on it',
  security_opt: 'Swarm services cannot set security options',
  shm_size: 'Swarm services cannot size /dev/shm; mount a tmpfs there instead',
  userns_mode: 'Swarm services cannot choose their user namespace',
  volumes_from: 'Swarm services cannot share the volumes of another container; mount the same named volume',
};
