import { type Command, Option } from 'commander';

import type { ContainerInfo, PortPublisher } from '../engine/types.js';
import { ComposeError } from '../project/errors.js';
import { CommandContext } from './command-context.js';
import type { CliIO } from './io.js';
import { checkServiceNames, projectTarget } from './project-target.js';

interface PortFlags {
  protocol: string;
  index: string;
}

export function portCommand(program: Command, io: CliIO): Command {
  return program
    .command('port')
    .description('Print the public port for a port binding')
    .argument('<service>', 'the service')
    .argument('<private_port>', 'the port the service listens on (its container port)')
    .addOption(new Option('--protocol <protocol>', 'tcp or udp').choices(['tcp', 'udp']).default('tcp'))
    .option('--index <n>', 'index of the container if the service has several replicas', '1')
    .action(async (service: string, privatePort: string, flags: PortFlags, command: Command) => {
      await runPort(new CommandContext(io, command), service, privatePort, flags);
    });
}

async function runPort(
  ctx: CommandContext,
  service: string,
  privatePort: string,
  flags: PortFlags,
): Promise<void> {
  const { port, protocol } = parsePrivatePort(privatePort, flags.protocol);
  const index = Number(flags.index);
  if (!/^\d+$/.test(flags.index) || index < 1) {
    throw new ComposeError(`invalid --index "${flags.index}"`, {
      hint: 'a replica number is a whole number from 1',
    });
  }
  const target = await projectTarget(ctx, [service]);
  checkServiceNames(target, [service]);
  const access = await ctx.engine(target.name, 'existing');
  let containers: ContainerInfo[];
  try {
    containers = await access.engine.listContainers({ project: target.name, all: true, services: [service] });
  } finally {
    await access.release();
  }
  const container = containers.find((c) => c.service === service && !c.oneoff && c.number === index);
  if (container === undefined) {
    throw new ComposeError(`service "${service}" has no container with index ${index}`, {
      hint: 'see "berth ps -a" for the replicas and their numbers',
    });
  }
  if (container.status !== 'running' && container.status !== 'paused' && container.status !== 'restarting') {
    throw new ComposeError(`container ${container.name} is not running`, {
      hint: `start it with berth start ${service}`,
    });
  }
  const published = findPublisher(container.publishers, port, protocol);
  if (published === undefined) {
    throw new ComposeError(`no port ${port}/${protocol} published for container ${container.name}`, {
      hint: `publish it under services.${service}.ports (e.g. "8080:${port}")`,
    });
  }
  ctx.io.stdout(`${published.URL}:${published.PublishedPort}\n`);
}

/** `80`, or `80/udp` as docker's `port` also takes it (a protocol there wins over --protocol). */
function parsePrivatePort(value: string, protocol: string): { port: number; protocol: string } {
  const match = /^(\d+)(?:\/(tcp|udp))?$/.exec(value.trim());
  const port = Number(match?.[1]);
  if (match === null || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ComposeError(`invalid port "${value}"`, {
      hint: 'give the container port as a number, e.g. 80',
    });
  }
  return { port, protocol: match[2] ?? protocol };
}

/** The first binding on the host for that container port, IPv4 before IPv6 as compose lists them. */
export function findPublisher(
  publishers: readonly PortPublisher[],
  port: number,
  protocol: string,
): PortPublisher | undefined {
  const matching = publishers.filter(
    (p) => p.TargetPort === port && p.Protocol === protocol && p.PublishedPort !== 0 && p.URL !== '',
  );
  return matching.find((p) => !p.URL.includes(':')) ?? matching[0];
}
