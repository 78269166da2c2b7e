// The loader fuzz suites' worker thread: loads one compose project per message with the built loader
// (dist/), prints it as `berth config` would, and reports what happened. Run by fuzz-runner.ts, which
// terminates it when a load outlives its time bound.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';

const dist = (file) => import(pathToFileURL(path.join(workerData.dist, file)).href);
const { loadProject } = await dist('project/load.js');
const { ComposeError, ComposeErrors } = await dist('project/errors.js');
const { projectToModel, renderJson, renderYaml } = await dist('project/serialize.js');
const { escapeDollars } = await dist('project/escape-dollars.js');
const { listVariables } = await dist('project/variables.js');
const { serviceConfigHash } = await dist('reconcile/config-hash.js');
const { buildGraph } = await dist('graph/build.js');
const { startOrder } = await dist('graph/levels.js');

function optionsOf(job) {
  const { stdinFile, ...options } = job.options;
  return { ...options, readStdin: async () => (stdinFile ? readFileSync(stdinFile, 'utf8') : '') };
}

/** What `berth config` does after loading: the printed model, hashes and start order. */
function print(project) {
  const model = projectToModel(project);
  renderYaml(escapeDollars(model));
  renderJson(model);
  for (const service of Object.values(project.services)) serviceConfigHash(service);
  startOrder(buildGraph(project));
}

function describeComposeError(error) {
  const all = error instanceof ComposeErrors ? error.errors : [error];
  return all.map((e) => ({
    message: e.message,
    problem: e.problem,
    located: Boolean(e.location?.file) || (e.keyPath?.length ?? 0) > 0,
  }));
}

parentPort.on('message', async (job) => {
  const started = performance.now();
  let outcome;
  try {
    const { project } = await loadProject(optionsOf(job));
    print(project);
    if (job.variables) await listVariables(optionsOf(job));
    outcome = { class: 'project' };
  } catch (error) {
    outcome =
      error instanceof ComposeError
        ? { class: 'error', errors: describeComposeError(error) }
        : {
            class: 'defect',
            kind: 'exception',
            detail: error instanceof Error ? (error.stack ?? error.message) : String(error),
          };
  }
  workerData.replies.postMessage({ id: job.id, outcome, ms: performance.now() - started });
});

workerData.replies.postMessage({ ready: true });
