/**
 * Entry of the watchdog process (see watchdog.ts):
 * `node watchdog-main.js --state-file <state.json> --log <supervisor.log>`.
 * It blocks on stdin; EOF means its host is gone (or stopped normally).
 */
import { appendFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import { removeRecordedNetworking } from './network/isolated-networking.js';
import { killEngineCgroups } from './replica-cgroup.js';
import { readProjectState } from './state-store.js';
import { describeKilled, killGroupsRecordedIn } from './watchdog.js';

const { values } = parseArgs({
  options: { 'state-file': { type: 'string' }, log: { type: 'string' } },
  strict: true,
});
const stateFile = values['state-file'];
// The host that started us; once it is gone our parent is someone else.
const hostPid = process.ppid;
const logFile = values.log;

function log(line: string): void {
  const text = `${new Date().toISOString()} watchdog[${process.pid}]: ${line}\n`;
  try {
    if (logFile) appendFileSync(logFile, text, { mode: 0o600 });
    else process.stderr.write(text);
  } catch {
    // Nowhere left to report to; killing is what matters.
  }
}

// Terminal signals are not for us: the watchdog lives exactly as long as its host's pipe.
process.on('SIGINT', () => undefined);
process.on('SIGHUP', () => undefined);

let done = false;
async function hostGone(): Promise<void> {
  if (done) return;
  done = true;
  if (!stateFile) {
    log('no --state-file given; nothing to watch');
    process.exit(2);
  }
  try {
    const killed = await killGroupsRecordedIn(stateFile);
    for (const entry of killed) log(describeKilled(entry));
    // Replicas its host started but had not recorded yet: their cgroups hold them.
    const unrecorded = killEngineCgroups(hostPid);
    if (unrecorded > 0) log(`killed ${unrecorded} process(es) left in the cgroups of its host`);
    // Isolated networking: the sandboxes and bridges its host made go with it.
    const state = await readProjectState(stateFile);
    if (state) for (const line of await removeRecordedNetworking(state)) log(line);
    process.exit(0);
  } catch (error) {
    log(`could not clean up after its host: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}

process.stdin.on('data', () => undefined);
process.stdin.on('end', () => void hostGone());
process.stdin.on('close', () => void hostGone());
process.stdin.on('error', () => void hostGone());
