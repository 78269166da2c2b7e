/**
 * A control group per replica run, where the machine lets berth make one (Linux, cgroup v2 mounted
 * and writable: root). A process group and a session do not hold everything a service starts: a
 * daemon that double-forks and calls setsid leaves both, and would outlive its replica. A cgroup
 * holds every descendant whatever it does, so stopping a replica, and the watchdog after a dead
 * engine, kill all of it, as Docker does. Where no cgroup can be made, the process group is all
 * berth can clean.
 *
 * The replica is spawned from inside its cgroup (the engine moves itself in, spawns, and moves
 * back, synchronously), so that not even its first fork happens outside.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Where cgroup v2 is mounted, and this process's cgroup in it; undefined when unusable. */
interface Hierarchy {
  mount: string;
  own: string;
}

let detected: Hierarchy | null | undefined;

function hierarchy(): Hierarchy | undefined {
  if (detected !== undefined) return detected ?? undefined;
  detected = null;
  if (process.platform !== 'linux') return undefined;
  try {
    const line = readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .find((l) => l.split(' - ')[1]?.startsWith('cgroup2 '));
    const own = /^0::(.*)$/m.exec(readFileSync('/proc/self/cgroup', 'utf8'))?.[1];
    const mount = line?.split(' ')[4];
    if (!mount || own === undefined) return undefined;
    detected = { mount, own };
  } catch {
    return undefined;
  }
  return detected;
}

/** This process's current cgroup folder (it may have been moved since start). */
function currentCgroupDir(h: Hierarchy): string {
  const own = /^0::(.*)$/m.exec(readFileSync('/proc/self/cgroup', 'utf8'))?.[1] ?? h.own;
  return path.join(h.mount, own);
}

let counter = 0;

/**
 * A fresh cgroup for one run of a replica (`<own cgroup>/berth/run-<engine pid>-<n>-<random>`), or undefined
 * where none can be made (not Linux, no cgroup v2, not permitted).
 */
export function createReplicaCgroup(): string | undefined {
  const h = hierarchy();
  if (!h) return undefined;
  try {
    const parent = path.join(currentCgroupDir(h), 'berth');
    mkdirSync(parent, { recursive: true });
    const dir = path.join(parent, `run-${process.pid}-${++counter}-${randomBytes(4).toString('hex')}`);
    mkdirSync(dir);
    return dir;
  } catch {
    return undefined;
  }
}

/**
 * Runs `spawn` with this process inside `cgroup`, so that the child starts there; moves back
 * afterwards. Synchronous on purpose: no other code of this process runs while it is inside.
 */
export function spawnInCgroup<T>(cgroup: string | undefined, spawn: () => T): T {
  const h = hierarchy();
  if (!cgroup || !h) return spawn();
  const home = currentCgroupDir(h);
  try {
    writeFileSync(path.join(cgroup, 'cgroup.procs'), String(process.pid));
  } catch {
    return spawn(); // could not enter: the process group still bounds the replica
  }
  try {
    return spawn();
  } finally {
    writeFileSync(path.join(home, 'cgroup.procs'), String(process.pid));
  }
}

/**
 * SIGKILLs every process in `cgroup` (never this one) and removes it; bounded, for a group that
 * keeps forking. Returns how many processes were killed. A cgroup that is already gone is fine.
 */
export function killReplicaCgroup(cgroup: string): number {
  const killed = new Set<number>();
  // About a second at most: SIGKILLed processes leave at once unless the machine is very busy.
  for (let attempt = 0; attempt < 100; attempt++) {
    let pids: number[];
    try {
      pids = readFileSync(path.join(cgroup, 'cgroup.procs'), 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map(Number)
        .filter((pid) => pid !== process.pid);
    } catch {
      return killed.size; // gone
    }
    if (pids.length === 0) {
      try {
        rmdirSync(cgroup);
        removeEmptyParent(cgroup);
        return killed.size;
      } catch {
        // busy for a moment (a process exiting): try again
      }
    }
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
        killed.add(pid);
      } catch {
        // exited meanwhile
      }
    }
    // The killed ones leave the cgroup as they exit; wait a little before reading it again.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
  }
  return killed.size;
}

/**
 * Whether a path read back from a state file is a replica cgroup berth made: under the cgroup v2
 * mount, in a `berth` folder, named `run-<pid>-<n>-<random>`. Anything else is never killed or removed.
 */
export function isReplicaCgroup(dir: string): boolean {
  const h = hierarchy();
  if (!h || !path.isAbsolute(dir) || path.normalize(dir) !== dir) return false;
  return (
    dir.startsWith(`${h.mount}/`) &&
    path.basename(path.dirname(dir)) === 'berth' &&
    /^run-\d+-\d+-[0-9a-f]{8}$/.test(path.basename(dir))
  );
}

/**
 * After the engine `enginePid` died: kills and removes every replica cgroup it made, recorded in
 * its state or not (it may have died between making one and saving its state). Called by its
 * watchdog, which shares its cgroup. Returns how many processes were killed.
 */
export function killEngineCgroups(enginePid: number): number {
  const h = hierarchy();
  if (!h) return 0;
  const parent = path.join(currentCgroupDir(h), 'berth');
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return 0;
  }
  let killed = 0;
  for (const name of names) {
    if (new RegExp(`^run-${enginePid}-\\d+-[0-9a-f]{8}$`).test(name)) {
      killed += killReplicaCgroup(path.join(parent, name));
    }
  }
  return killed;
}

/** The shared `berth` folder goes once its last replica's cgroup has. */
function removeEmptyParent(cgroup: string): void {
  try {
    rmdirSync(path.dirname(cgroup));
  } catch {
    // other replicas' cgroups are still in it
  }
}
