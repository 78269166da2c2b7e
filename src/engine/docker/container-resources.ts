/**
 * Resource limits as docker compose maps them to HostConfig: the service's own attributes first, then
 * deploy.resources (limits: cpus, memory, pids; reservations: memory and devices), which win. Devices
 * named the CDI way (`vendor.com/class=name`) and `gpus` become device requests. Swarm-only parts
 * (cpu reservations, generic resources) have no container equivalent and are warned about.
 */
import type { DeviceRequest, Service } from '../../project/types.js';
import { durationMs } from '../local/durations.js';
import type { DeviceRequestBody, ResourcesBody, ThrottleDevice } from './create-body.js';

/** A fully qualified CDI device name, `vendor.com/class=name`, which Docker resolves through CDI. */
const CDI_NAME = /^[A-Za-z0-9][A-Za-z0-9.-]*\/[A-Za-z0-9][A-Za-z0-9_.-]*=[A-Za-z0-9_.:-]+$/;

export function containerResources(serviceName: string, service: Service, warnings: string[]): ResourcesBody {
  const body: ResourcesBody = {};
  const set = <K extends keyof ResourcesBody>(key: K, value: ResourcesBody[K] | undefined): void => {
    if (value !== undefined) body[key] = value;
  };
  set('CgroupParent', service.cgroup_parent);
  set('Memory', service.mem_limit);
  set('MemorySwap', service.memswap_limit);
  set('MemoryReservation', service.mem_reservation);
  set('MemorySwappiness', service.mem_swappiness);
  set('OomKillDisable', service.oom_kill_disable);
  set('CpuCount', service.cpu_count);
  set('CpuPercent', service.cpu_percent === undefined ? undefined : Math.round(service.cpu_percent));
  set('CpuShares', service.cpu_shares);
  set('CpuPeriod', service.cpu_period);
  set('CpuQuota', service.cpu_quota);
  set('CpuRealtimePeriod', microseconds(service.cpu_rt_period, serviceName, 'cpu_rt_period'));
  set('CpuRealtimeRuntime', microseconds(service.cpu_rt_runtime, serviceName, 'cpu_rt_runtime'));
  set('CpusetCpus', service.cpuset);
  set('NanoCpus', service.cpus === undefined ? undefined : Math.round(service.cpus * 1e9));
  set('PidsLimit', service.pids_limit);
  set('DeviceCgroupRules', service.device_cgroup_rules);
  blkio(service, body);

  const limits = service.deploy?.resources?.limits;
  if (limits !== undefined) {
    set('Memory', limits.memory);
    set('NanoCpus', limits.cpus === undefined ? undefined : Math.round(limits.cpus * 1e9));
    set('PidsLimit', limits.pids);
    if ((limits.devices ?? []).length > 0) {
      warnings.push(
        `service "${serviceName}": deploy.resources.limits.devices is not a Compose attribute (devices are reserved) and is ignored; use deploy.resources.reservations.devices`,
      );
    }
    if ((limits.generic_resources ?? []).length > 0) genericWarning(serviceName, 'limits', warnings);
  }
  const requests: DeviceRequestBody[] = [];
  const reservations = service.deploy?.resources?.reservations;
  if (reservations !== undefined) {
    set('MemoryReservation', reservations.memory);
    if (reservations.cpus !== undefined) {
      warnings.push(
        `service "${serviceName}": deploy.resources.reservations.cpus is a Swarm scheduling hint with no container equivalent and is ignored`,
      );
    }
    if (reservations.pids !== undefined) {
      warnings.push(
        `service "${serviceName}": deploy.resources.reservations.pids cannot be reserved on a Docker engine and is ignored; use limits.pids`,
      );
    }
    if ((reservations.generic_resources ?? []).length > 0) {
      genericWarning(serviceName, 'reservations', warnings);
    }
    for (const device of reservations.devices ?? []) requests.push(deviceRequest(device, []));
  }

  const devices: NonNullable<ResourcesBody['Devices']> = [];
  const cdi: string[] = [];
  for (const device of service.devices ?? []) {
    if (device.source === device.target && CDI_NAME.test(device.source)) cdi.push(device.source);
    else {
      devices.push({
        PathOnHost: device.source,
        PathInContainer: device.target,
        CgroupPermissions: device.permissions,
      });
    }
  }
  if (devices.length > 0) body.Devices = devices;
  if (cdi.length > 0) requests.push({ Driver: 'cdi', DeviceIDs: cdi });
  for (const gpu of service.gpus ?? []) requests.push(deviceRequest(gpu, ['gpu']));
  if (requests.length > 0) body.DeviceRequests = requests;

  const ulimits = Object.entries(service.ulimits ?? {}).map(([name, limit]) =>
    typeof limit === 'number'
      ? { Name: name, Soft: limit, Hard: limit }
      : { Name: name, Soft: limit.soft, Hard: limit.hard },
  );
  if (ulimits.length > 0) body.Ulimits = ulimits;
  return body;
}

/**
 * A device request; without a count or ids it asks for every matching device (count -1), as the
 * Compose specification says. `gpus` always asks for the gpu capability.
 */
function deviceRequest(device: DeviceRequest, extraCapabilities: string[]): DeviceRequestBody {
  const request: DeviceRequestBody = {
    Capabilities: [[...(device.capabilities ?? []), ...extraCapabilities]],
  };
  if (device.driver !== undefined) request.Driver = device.driver;
  if (device.device_ids !== undefined) request.DeviceIDs = device.device_ids;
  if (device.count !== undefined) request.Count = device.count;
  else if (device.device_ids === undefined) request.Count = -1;
  if (device.options !== undefined) request.Options = device.options;
  return request;
}

function blkio(service: Service, body: ResourcesBody): void {
  const config = service.blkio_config;
  if (config === undefined) return;
  if (config.weight !== undefined) body.BlkioWeight = config.weight;
  if (config.weight_device !== undefined) {
    body.BlkioWeightDevice = config.weight_device.map((d) => ({ Path: d.path, Weight: d.weight }));
  }
  const throttle = (list: { path: string; rate: number }[] | undefined): ThrottleDevice[] | undefined =>
    list?.map((d) => ({ Path: d.path, Rate: d.rate }));
  const readBps = throttle(config.device_read_bps);
  if (readBps) body.BlkioDeviceReadBps = readBps;
  const writeBps = throttle(config.device_write_bps);
  if (writeBps) body.BlkioDeviceWriteBps = writeBps;
  const readIops = throttle(config.device_read_iops);
  if (readIops) body.BlkioDeviceReadIOps = readIops;
  const writeIops = throttle(config.device_write_iops);
  if (writeIops) body.BlkioDeviceWriteIOps = writeIops;
}

/** cpu_rt_period/cpu_rt_runtime: a number of microseconds, or a duration (`400ms`). */
function microseconds(value: unknown, serviceName: string, key: string): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string')
    return Math.round(durationMs(value, 0, ['services', serviceName, key]) * 1000);
  return undefined;
}

function genericWarning(serviceName: string, section: string, warnings: string[]): void {
  warnings.push(
    `service "${serviceName}": deploy.resources.${section}.generic_resources are Swarm resources with no container equivalent and are ignored`,
  );
}
