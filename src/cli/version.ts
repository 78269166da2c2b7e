import { readFileSync } from 'node:fs';

import type { Command } from 'commander';

import { chooseNetworking } from '../engine/local/network/mode.js';
import { selectEngineKind } from '../engine/select.js';
import { ComposeError } from '../project/errors.js';
import type { CliIO } from './io.js';

/** The installed package's version, read from its package.json. */
export function berthVersion(): string {
  const pkg: unknown = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  return pkg && typeof pkg === 'object' && 'version' in pkg ? String(pkg.version) : 'unknown';
}

export function versionCommand(program: Command, io: CliIO): Command {
  return program
    .command('version')
    .description('Show the berth version information')
    .option('--short', 'print only the version number')
    .option('--format <format>', 'output format (pretty or json)', 'pretty')
    .action(async (flags: { short?: boolean; format: string }, command: Command) => {
      const version = berthVersion();
      if (flags.short) {
        io.stdout(`${version}\n`);
        return;
      }
      const globals = command.optsWithGlobals<{ networking?: string; engine?: string }>();
      const asked = globals.networking;
      const engine = await engineLine(globals.engine, io.env);
      const networking = chooseNetworking({
        env: asked === undefined ? io.env : { ...io.env, BERTH_NETWORKING: asked },
      });
      if (flags.format === 'json') {
        const info = {
          version,
          node: process.version,
          networking: networking.mode,
          networkingReason: networking.reason,
          engine: engine.kind,
          ...(engine.docker ? { docker: engine.docker } : {}),
        };
        io.stdout(`${JSON.stringify(info)}\n`);
      } else {
        io.stdout(`berth version ${version} (Node.js ${process.version})\n`);
        io.stdout(`engine: ${engine.text}\n`);
        io.stdout(`networking: ${networking.mode} (${networking.reason})\n`);
      }
    });
}

interface EngineLine {
  kind: 'local' | 'docker';
  text: string;
  docker?: { address: string; version?: string; apiVersion?: string; error?: string };
}

/** Which engine runs projects; for Docker, where it answers and its version (or why it does not). */
async function engineLine(
  flag: string | undefined,
  env: Record<string, string | undefined>,
): Promise<EngineLine> {
  if (selectEngineKind(flag, env) === 'local')
    return { kind: 'local', text: 'local (in process, no daemon)' };
  const { connectDocker, dockerEndpoint } = await import('../engine/docker/connection.js');
  const address = dockerEndpoint(env).address;
  try {
    const connection = await connectDocker(env, { timeoutMs: 5_000 });
    return {
      kind: 'docker',
      text: `docker ${connection.engineVersion} (API ${connection.apiVersion}) at ${connection.address}`,
      docker: { address, version: connection.engineVersion, apiVersion: connection.apiVersion },
    };
  } catch (error) {
    const message = error instanceof ComposeError ? error.problem : String(error);
    return { kind: 'docker', text: `docker, not reachable: ${message}`, docker: { address, error: message } };
  }
}
