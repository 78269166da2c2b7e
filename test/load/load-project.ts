/**
 * The generated project of the load suite and bench/load.mjs: many trivial services (`sleep 3600` from
 * coreutils) and a few tiny Node.js HTTP servers with published ports, every process carrying a marker
 * in its environment so that test/support/leaks.ts finds whatever is left. Node built-ins only:
 * bench/load.mjs transpiles and imports this file as it is.
 */

export interface LoadProjectOptions {
  name: string;
  /** Services in all, servers included. */
  services: number;
  /** How many of them are HTTP servers; each takes two ports of `ports` (published, then container). */
  servers: number;
  ports: readonly number[];
  /** Put into every service's environment. */
  marker: string;
  /** The Node.js binary the servers run. */
  node: string;
}

/** `s000`, `s001`, ...: the services' names. */
export function loadServiceNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `s${String(i).padStart(3, '0')}`);
}

/** The published ports of the servers. */
export function publishedPorts(options: LoadProjectOptions): number[] {
  return Array.from({ length: options.servers }, (_, i) => options.ports[2 * i]!);
}

/** The compose file (JSON is YAML: nothing to quote). `generation` changes every service's config. */
export function loadCompose(options: LoadProjectOptions, generation = 0): string {
  if (options.ports.length < 2 * options.servers) throw new Error('two ports per server are needed');
  const services: Record<string, unknown> = {};
  loadServiceNames(options.services).forEach((name, i) => {
    const environment = { LOAD_MARK: options.marker, LOAD_GENERATION: String(generation) };
    if (i < options.servers) {
      const [published, target] = [options.ports[2 * i]!, options.ports[2 * i + 1]!];
      // Host networking may hand a replica another port through PORT; isolated keeps the target.
      const script = `require('http').createServer((q, s) => s.end('ok')).listen(Number(process.env.PORT || ${target}))`;
      services[name] = {
        image: 'node',
        command: [options.node, '-e', script],
        environment,
        ports: [`127.0.0.1:${published}:${target}`],
        stop_grace_period: '2s',
      };
    } else {
      services[name] = {
        image: 'coreutils',
        command: ['sleep', '3600'],
        environment,
        stop_grace_period: '2s',
      };
    }
  });
  return `${JSON.stringify({ name: options.name, services }, null, 2)}\n`;
}
