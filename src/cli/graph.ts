import { type Command, Option } from 'commander';

import { buildGraph } from '../graph/build.js';
import type { ServiceGraph } from '../graph/model.js';
import { renderDot } from '../graph/render-dot.js';
import { renderMermaid } from '../graph/render-mermaid.js';
import { renderText } from '../graph/render-text.js';
import { selectServices } from '../graph/select.js';
import { subgraph } from '../graph/subgraph.js';
import { loadProject } from '../project/load.js';
import { type GlobalFlags, loadOptionsFrom } from './global-options.js';
import type { CliIO } from './io.js';
import { renderWarnings } from './render-error.js';

type GraphFormat = 'text' | 'dot' | 'mermaid';

interface GraphFlags {
  format: GraphFormat;
  deps: boolean;
}

const RENDERERS: Record<GraphFormat, (graph: ServiceGraph) => string> = {
  text: renderText,
  dot: renderDot,
  mermaid: renderMermaid,
};

export function graphCommand(program: Command, io: CliIO): Command {
  return program
    .command('graph')
    .description('Print the dependency graph of services, networks, volumes, secrets and configs')
    .argument('[service...]', 'only these services and what they depend on')
    .addOption(
      new Option('--format <format>', 'output format').choices(['text', 'dot', 'mermaid']).default('text'),
    )
    .option('--no-deps', "don't include the services the named ones depend on")
    .action(async (services: string[], flags: GraphFlags, command: Command) => {
      const globals = command.optsWithGlobals<GlobalFlags>();
      const { project, warnings } = await loadProject(loadOptionsFrom(globals, io, services));
      renderWarnings(warnings, io);
      let graph = buildGraph(project);
      if (services.length > 0) {
        graph = subgraph(graph, selectServices(graph, services, { withDependencies: flags.deps }));
      }
      io.stdout(RENDERERS[flags.format](graph));
    });
}
